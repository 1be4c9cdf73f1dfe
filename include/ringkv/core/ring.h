/* ring.h — ringkv's io_uring layer, the only code that includes liburing.h.
 *
 * Every submission carries a pointer to a `struct ring_op` in its user_data;
 * the op knows its callback, so the completion loop is one dispatch that
 * never grows a case per feature (h2o's io_uring.c idea). An op embedded in
 * a connection, a timer or a cross-shard message is reused for each of its
 * completions (multishot accept and recv complete many times per op).
 *
 * Cross-ring messages: ring_msg_post() hands a pointer to another ring with
 * IORING_OP_MSG_RING. The target sees a completion whose user_data is that
 * pointer, so a message is itself a ring_op whose callback runs on the
 * target's thread. The sender gets no completion on success
 * (IOSQE_CQE_SKIP_SUCCESS) and a completion on its `fail_op` on error.
 *
 * A ring belongs to the thread that created it (SINGLE_ISSUER): only that
 * thread may call anything here with that ring, except ring_fd().
 */
#ifndef RINGKV_RING_H
#define RINGKV_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <sys/socket.h>

struct ring;
struct ring_op;

/* res: the completion's result (bytes, fd, or -errno). flags: ring_cqe_*. */
typedef void (*ring_cb)(struct ring_op *op, int res, uint32_t flags);

struct ring_op {
    ring_cb cb;
};

/* Completion flags, decoded without liburing. */
bool ring_cqe_more(uint32_t flags);      /* a multishot op stays armed */
bool ring_cqe_has_buf(uint32_t flags);   /* data landed in a provided buffer */
unsigned ring_cqe_buf_id(uint32_t flags);

struct ring_features {
    bool single_issuer, defer_taskrun, coop_taskrun;
};

/* Creates a ring with the best setup flags this kernel accepts. On failure
 * returns NULL and sets *err to -errno (EPERM/ENOSYS: io_uring refused). */
struct ring *ring_create(unsigned entries, struct ring_features *got, int *err);
void ring_destroy(struct ring *r);
int ring_fd(const struct ring *r);

/* Submits what is queued, waits for at least `wait_nr` completions (0: do
 * not wait), then runs every completion's callback. Returns the number of
 * completions handled, or -errno. */
/* Submits what is queued and runs no callback (a shard or the server
 * leaving: completions would reach freed state). */
int ring_submit(struct ring *r);
int ring_run(struct ring *r, unsigned wait_nr);

/* Submission helpers. Each returns 0 or -errno (ring_get_sqe failures are
 * handled inside by flushing the submission queue first). */
int ring_accept_multishot(struct ring *r, int fd, struct ring_op *op);
int ring_recv_multishot(struct ring *r, int fd, unsigned short buf_group, struct ring_op *op);
int ring_sendmsg(struct ring *r, int fd, const struct msghdr *msg, struct ring_op *op);
/* A one-shot timeout. The kernel reads the timespec when the request is
 * submitted, so it lives in the timer next to its op. */
struct ring_timer {
    struct ring_op op;
    long long ts[2]; /* a struct __kernel_timespec */
};
int ring_timeout(struct ring *r, struct ring_timer *t, long long ns);
int ring_read(struct ring *r, int fd, void *buf, size_t len, struct ring_op *op);
/* Cancels every request on fd; completions still arrive (with -ECANCELED). */
int ring_cancel_fd(struct ring *r, int fd);
/* Closes fd asynchronously; no completion. */
int ring_close(struct ring *r, int fd);
/* Files (snapshots): each completes with the syscall's result. Paths and
 * buffers must stay valid until the completion; the path is read at
 * submission. */
int ring_openat(struct ring *r, int dirfd, const char *path, int flags, unsigned mode, struct ring_op *op);
int ring_write_at(struct ring *r, int fd, const void *buf, size_t len, uint64_t offset, struct ring_op *op);
int ring_fsync(struct ring *r, int fd, struct ring_op *op);
int ring_renameat(struct ring *r, int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                  struct ring_op *op);
int ring_unlinkat(struct ring *r, int dirfd, const char *path, struct ring_op *op);
int ring_close_op(struct ring *r, int fd, struct ring_op *op);
/* Posts `msg` (a ring_op) to the ring whose fd is target_fd. */
int ring_msg_post(struct ring *r, int target_fd, struct ring_op *msg, struct ring_op *fail_op);

/* A provided-buffer ring: `count` buffers of `size` bytes that the kernel
 * fills for multishot recv. liburing 2.3 has no setup helper; this is it. */
struct ring_bufs;
struct ring_bufs *ring_bufs_create(struct ring *r, unsigned short group, unsigned count, unsigned size, int *err);
void ring_bufs_destroy(struct ring *r, struct ring_bufs *b);
char *ring_bufs_data(struct ring_bufs *b, unsigned id);
unsigned ring_bufs_size(const struct ring_bufs *b);
/* Gives buffer `id` back to the kernel. */
void ring_bufs_recycle(struct ring_bufs *b, unsigned id);

#endif
