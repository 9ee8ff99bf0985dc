#ifndef CTAGLIB_H
#define CTAGLIB_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/// What TagLib read from one file. Strings are UTF-8, owned by the struct; free with ctl_free.
typedef struct ctl_info {
    /// Every tag as KEY 0x1F VALUE 0x1E records (TagLib's unified property names, upper case).
    char *properties;
    /// TagLib's name of the container: mp3, flac, ogg, opus, m4a, wav, aiff, wv, ape, mpc, wma, spx.
    char *format;
    int duration_ms;
    int bitrate_kbps;
    int sample_rate;
    int channels;
    int has_picture;
} ctl_info;

/// 0 on success; -1 when TagLib cannot open the file as audio; -2 when it has no audio stream.
int ctl_read(const char *path, ctl_info *out);
void ctl_free(ctl_info *info);

/// The front cover (or the first picture) embedded in a file. 0 on success, -1 when there is none.
/// Free *data and *mime with free().
int ctl_read_picture(const char *path, unsigned char **data, size_t *length, char **mime);

#ifdef __cplusplus
}
#endif
#endif
