#include "cadenza_file_stat.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

int cadenza_file_stat(const char *path, cadenza_file_stat_t *out) {
    struct stat info;
    if (stat(path, &info) != 0) return errno;
    out->kind = S_ISREG(info.st_mode) ? 1 : S_ISDIR(info.st_mode) ? 2 : 0;
    out->size = (int64_t)info.st_size;
    out->mtime_seconds = (int64_t)info.st_mtim.tv_sec;
    out->mtime_nanoseconds = (int64_t)info.st_mtim.tv_nsec;
    out->device = (uint64_t)info.st_dev;
    out->inode = (uint64_t)info.st_ino;
    return 0;
}

int cadenza_open_regular(const char *path, int64_t limit) {
    int64_t size;
    return cadenza_open_regular_sized(path, limit, &size);
}

int cadenza_open_regular_sized(const char *path, int64_t limit, int64_t *size) {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || (int64_t)info.st_size > limit) {
        close(fd);
        return -1;
    }
    *size = (int64_t)info.st_size;
    return fd;
}
