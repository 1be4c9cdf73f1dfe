/* ring.c — see ring.h. Thread: the ring's owner only. */
#include "ringkv/core/ring.h"
#include "ringkv/base/alloc.h"

#include <errno.h>
#include <liburing.h>

/* ThreadSanitizer cannot see that the kernel orders a MSG_RING post on one
 * thread before the completion it produces on another, so it would take
 * every message for a data race. Each post releases the message and each
 * completion acquires its op, telling it what the kernel guarantees. */
#if defined(__SANITIZE_THREAD__)
#define RK_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RK_TSAN 1
#endif
#endif
#ifdef RK_TSAN
#include <sanitizer/tsan_interface.h>
#define tsan_release(p) __tsan_release(p)
#define tsan_acquire(p) __tsan_acquire(p)
#else
#define tsan_release(p) ((void)(p))
#define tsan_acquire(p) ((void)(p))
#endif
#include <string.h>
#include <sys/mman.h>

struct ring {
    struct io_uring uring;
};

struct ring_bufs {
    struct io_uring_buf_ring *br;
    char *data;
    unsigned count, size, mask;
    unsigned short group;
    size_t ring_bytes;
};

bool ring_cqe_more(uint32_t flags) { return flags & IORING_CQE_F_MORE; }
bool ring_cqe_has_buf(uint32_t flags) { return flags & IORING_CQE_F_BUFFER; }
unsigned ring_cqe_buf_id(uint32_t flags) { return flags >> IORING_CQE_BUFFER_SHIFT; }

struct ring *ring_create(unsigned entries, struct ring_features *got, int *err)
{
    /* Most capable first; each fallback drops what an older kernel refuses. */
    static const unsigned setups[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    struct ring *r = rk_calloc(1, sizeof(*r));
    int ret = -EINVAL;

    for (size_t i = 0; i < sizeof(setups) / sizeof(setups[0]); i++) {
        struct io_uring_params p;
        memset(&p, 0, sizeof(p));
        p.flags = setups[i] | IORING_SETUP_CQSIZE;
        p.cq_entries = entries * 4;
        ret = io_uring_queue_init_params(entries, &r->uring, &p);
        if (ret == 0) {
            if (got) {
                got->single_issuer = setups[i] & IORING_SETUP_SINGLE_ISSUER;
                got->defer_taskrun = setups[i] & IORING_SETUP_DEFER_TASKRUN;
                got->coop_taskrun = setups[i] & IORING_SETUP_COOP_TASKRUN;
            }
            return r;
        }
        if (ret == -EPERM || ret == -ENOSYS || ret == -ENOMEM) break;
    }
    rk_free(r);
    *err = ret;
    return NULL;
}

void ring_destroy(struct ring *r)
{
    if (!r) return;
    io_uring_queue_exit(&r->uring);
    rk_free(r);
}

int ring_fd(const struct ring *r) { return r->uring.ring_fd; }

static struct io_uring_sqe *get_sqe(struct ring *r)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);
    if (__builtin_expect(sqe == NULL, 0)) {
        io_uring_submit(&r->uring);
        sqe = io_uring_get_sqe(&r->uring);
    }
    return sqe;
}

int ring_submit(struct ring *r) { return io_uring_submit(&r->uring); }

int ring_run(struct ring *r, unsigned wait_nr)
{
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    /* Not waiting still enters the kernel for completions: under
     * DEFER_TASKRUN they are posted only then, and a loop kept busy (a
     * snapshot's walk) would otherwise never see its clients' input. */
    int ret = wait_nr ? io_uring_submit_and_wait(&r->uring, wait_nr) : io_uring_submit_and_get_events(&r->uring);
    if (ret < 0 && ret != -EINTR && ret != -ETIME && ret != -EBUSY) return ret;

    io_uring_for_each_cqe(&r->uring, head, cqe) {
        struct ring_op *op = (struct ring_op *)(uintptr_t)cqe->user_data;
        int res = cqe->res;
        uint32_t flags = cqe->flags;
        n++;
        /* Advance first: a callback may submit and re-enter the CQ. */
        io_uring_cq_advance(&r->uring, 1);
        if (op) {
            tsan_acquire(op);
            op->cb(op, res, flags);
        }
    }
    return (int)n;
}

#define PREP_OR_FAIL(r, sqe) \
    struct io_uring_sqe *sqe = get_sqe(r); \
    if (!sqe) return -EBUSY

int ring_accept_multishot(struct ring *r, int fd, struct ring_op *op)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_multishot_accept(sqe, fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    io_uring_sqe_set_data(sqe, op);
    return 0;
}

int ring_recv_multishot(struct ring *r, int fd, unsigned short buf_group, struct ring_op *op)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = buf_group;
    io_uring_sqe_set_data(sqe, op);
    return 0;
}

int ring_sendmsg(struct ring *r, int fd, const struct msghdr *msg, struct ring_op *op)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_sendmsg(sqe, fd, msg, MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, op);
    return 0;
}

int ring_timeout(struct ring *r, struct ring_timer *t, long long ns)
{
    _Static_assert(sizeof(t->ts) == sizeof(struct __kernel_timespec), "timespec layout");
    PREP_OR_FAIL(r, sqe);
    t->ts[0] = ns / 1000000000LL;
    t->ts[1] = ns % 1000000000LL;
    io_uring_prep_timeout(sqe, (struct __kernel_timespec *)t->ts, 0, 0);
    io_uring_sqe_set_data(sqe, &t->op);
    return 0;
}

int ring_read(struct ring *r, int fd, void *buf, size_t len, struct ring_op *op)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_read(sqe, fd, buf, (unsigned)len, (uint64_t)-1);
    io_uring_sqe_set_data(sqe, op);
    return 0;
}

int ring_cancel_fd(struct ring *r, int fd)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data(sqe, NULL);
    return 0;
}

int ring_close(struct ring *r, int fd)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_close(sqe, fd);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data(sqe, NULL);
    return 0;
}

int ring_openat(struct ring *r, int dirfd, const char *path, int flags, unsigned mode, struct ring_op *op)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_openat(sqe, dirfd, path, flags, mode);
    io_uring_sqe_set_data(sqe, op);
    return 0;
}

int ring_write_at(struct ring *r, int fd, const void *buf, size_t len, uint64_t offset, struct ring_op *op)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_write(sqe, fd, buf, (unsigned)len, offset);
    /* A buffered write may otherwise run inline in the submitting thread,
     * and there the kernel's dirty-page throttling can stall the shard's
     * loop for tens of milliseconds: io-wq's workers take it instead. */
    sqe->flags |= IOSQE_ASYNC;
    io_uring_sqe_set_data(sqe, op);
    return 0;
}

int ring_fsync(struct ring *r, int fd, struct ring_op *op)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_fsync(sqe, fd, 0);
    sqe->flags |= IOSQE_ASYNC;
    io_uring_sqe_set_data(sqe, op);
    return 0;
}

int ring_renameat(struct ring *r, int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                  struct ring_op *op)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_renameat(sqe, olddirfd, oldpath, newdirfd, newpath, 0);
    io_uring_sqe_set_data(sqe, op);
    return 0;
}

int ring_unlinkat(struct ring *r, int dirfd, const char *path, struct ring_op *op)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_unlinkat(sqe, dirfd, path, 0);
    io_uring_sqe_set_data(sqe, op);
    return 0;
}

int ring_close_op(struct ring *r, int fd, struct ring_op *op)
{
    PREP_OR_FAIL(r, sqe);
    io_uring_prep_close(sqe, fd);
    io_uring_sqe_set_data(sqe, op);
    return 0;
}

int ring_msg_post(struct ring *r, int target_fd, struct ring_op *msg, struct ring_op *fail_op)
{
    PREP_OR_FAIL(r, sqe);
    tsan_release(msg);
    io_uring_prep_msg_ring(sqe, target_fd, 0, (uint64_t)(uintptr_t)msg, 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data(sqe, fail_op);
    return 0;
}

struct ring_bufs *ring_bufs_create(struct ring *r, unsigned short group, unsigned count, unsigned size, int *err)
{
    struct io_uring_buf_reg reg;
    struct ring_bufs *b;
    void *mem;

    if (count == 0 || (count & (count - 1)) || count > 32768) { *err = -EINVAL; return NULL; }
    b = rk_calloc(1, sizeof(*b));
    b->count = count;
    b->size = size;
    b->mask = (unsigned)io_uring_buf_ring_mask(count);
    b->group = group;
    b->ring_bytes = count * sizeof(struct io_uring_buf);
    /* The ring itself must be page aligned: mmap gives that. */
    mem = mmap(NULL, b->ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) { *err = -errno; rk_free(b); return NULL; }
    b->br = mem;
    b->data = mmap(NULL, (size_t)count * size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (b->data == MAP_FAILED) { *err = -errno; munmap(mem, b->ring_bytes); rk_free(b); return NULL; }

    memset(&reg, 0, sizeof(reg));
    reg.ring_addr = (uint64_t)(uintptr_t)mem;
    reg.ring_entries = count;
    reg.bgid = group;
    int ret = io_uring_register_buf_ring(&r->uring, &reg, 0);
    if (ret) {
        *err = ret;
        munmap(b->data, (size_t)count * size);
        munmap(mem, b->ring_bytes);
        rk_free(b);
        return NULL;
    }
    io_uring_buf_ring_init(b->br);
    for (unsigned i = 0; i < count; i++)
        io_uring_buf_ring_add(b->br, b->data + (size_t)i * size, size, (unsigned short)i, b->mask, (int)i);
    io_uring_buf_ring_advance(b->br, (int)count);
    return b;
}

void ring_bufs_destroy(struct ring *r, struct ring_bufs *b)
{
    if (!b) return;
    io_uring_unregister_buf_ring(&r->uring, b->group);
    munmap(b->data, (size_t)b->count * b->size);
    munmap(b->br, b->ring_bytes);
    rk_free(b);
}

char *ring_bufs_data(struct ring_bufs *b, unsigned id) { return b->data + (size_t)id * b->size; }
unsigned ring_bufs_size(const struct ring_bufs *b) { return b->size; }

void ring_bufs_recycle(struct ring_bufs *b, unsigned id)
{
    io_uring_buf_ring_add(b->br, ring_bufs_data(b, id), b->size, (unsigned short)id, b->mask, 0);
    io_uring_buf_ring_advance(b->br, 1);
}
