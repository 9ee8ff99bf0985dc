#ifndef CADENZA_FILE_STAT_H
#define CADENZA_FILE_STAT_H

#include <stdint.h>

/// What the scanner and the bounded reads need of stat(2) (symlinks followed). In C because
/// Swift's member-import checks attribute glibc's `struct stat` to different modules in debug
/// and release builds, and release builds refused its fields.
typedef struct {
    /// 1: a regular file, 2: a directory, 0: anything else (FIFO, device, socket).
    int kind;
    int64_t size;
    int64_t mtime_seconds;
    int64_t mtime_nanoseconds;
    uint64_t device;
    uint64_t inode;
} cadenza_file_stat_t;

/// 0 on success, otherwise the errno of stat(2).
int cadenza_file_stat(const char *path, cadenza_file_stat_t *out);

/// Opens `path` for reading only if it is a regular file of at most `limit` bytes, checked on
/// the opened descriptor (a file swapped for a FIFO between a check and the open never blocks
/// the reader): the descriptor, or -1.
int cadenza_open_regular(const char *path, int64_t limit);

/// `cadenza_open_regular`, also giving the file's size as the opened descriptor sees it.
int cadenza_open_regular_sized(const char *path, int64_t limit, int64_t *size);

#endif
