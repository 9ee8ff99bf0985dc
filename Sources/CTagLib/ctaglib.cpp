// A small C API over TagLib 1.13, so Swift needs no C++ interoperability.
#include "ctaglib.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include <taglib/attachedpictureframe.h>
#include <taglib/fileref.h>
#include <taglib/flacfile.h>
#include <taglib/id3v2tag.h>
#include <taglib/mp4file.h>
#include <taglib/mpegfile.h>
#include <taglib/opusfile.h>
#include <taglib/tpropertymap.h>
#include <taglib/vorbisfile.h>
#include <taglib/xiphcomment.h>
#include <taglib/aifffile.h>
#include <taglib/wavfile.h>
#include <taglib/wavpackfile.h>
#include <taglib/apefile.h>
#include <taglib/mpcfile.h>
#include <taglib/asffile.h>
#include <taglib/speexfile.h>

namespace {

char *dup(const std::string &s) {
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (p) { std::memcpy(p, s.data(), s.size()); p[s.size()] = 0; }
    return p;
}

const char *formatOf(TagLib::File *f) {
    if (dynamic_cast<TagLib::MPEG::File *>(f)) return "mp3";
    if (dynamic_cast<TagLib::FLAC::File *>(f)) return "flac";
    if (dynamic_cast<TagLib::Ogg::Vorbis::File *>(f)) return "ogg";
    if (dynamic_cast<TagLib::Ogg::Opus::File *>(f)) return "opus";
    if (dynamic_cast<TagLib::Ogg::Speex::File *>(f)) return "spx";
    if (dynamic_cast<TagLib::MP4::File *>(f)) return "m4a";
    if (dynamic_cast<TagLib::RIFF::WAV::File *>(f)) return "wav";
    if (dynamic_cast<TagLib::RIFF::AIFF::File *>(f)) return "aiff";
    if (dynamic_cast<TagLib::WavPack::File *>(f)) return "wv";
    if (dynamic_cast<TagLib::APE::File *>(f)) return "ape";
    if (dynamic_cast<TagLib::MPC::File *>(f)) return "mpc";
    if (dynamic_cast<TagLib::ASF::File *>(f)) return "wma";
    return "unknown";
}

bool copyPicture(const TagLib::ByteVector &bytes, const TagLib::String &mime,
                 unsigned char **data, size_t *length, char **outMime) {
    // Cadenza keeps covers up to 20 MB; a larger picture is not copied at all.
    if (bytes.isEmpty() || bytes.size() > (20u << 20)) return false;
    *data = static_cast<unsigned char *>(std::malloc(bytes.size()));
    if (!*data) return false;
    std::memcpy(*data, bytes.data(), bytes.size());
    *length = bytes.size();
    *outMime = dup(mime.to8Bit(true));
    return true;
}

template <typename List>
bool pickXiph(const List &pictures, unsigned char **data, size_t *length, char **mime) {
    const TagLib::FLAC::Picture *chosen = nullptr;
    for (auto *p : pictures) {
        if (!chosen || p->type() == TagLib::FLAC::Picture::FrontCover) chosen = p;
        if (p->type() == TagLib::FLAC::Picture::FrontCover) break;
    }
    return chosen && copyPicture(chosen->data(), chosen->mimeType(), data, length, mime);
}

bool pickID3(TagLib::ID3v2::Tag *tag, unsigned char **data, size_t *length, char **mime) {
    if (!tag) return false;
    const auto &frames = tag->frameListMap()["APIC"];
    TagLib::ID3v2::AttachedPictureFrame *chosen = nullptr;
    for (auto *frame : frames) {
        auto *pic = dynamic_cast<TagLib::ID3v2::AttachedPictureFrame *>(frame);
        if (!pic) continue;
        if (!chosen || pic->type() == TagLib::ID3v2::AttachedPictureFrame::FrontCover) chosen = pic;
        if (pic->type() == TagLib::ID3v2::AttachedPictureFrame::FrontCover) break;
    }
    return chosen && copyPicture(chosen->picture(), chosen->mimeType(), data, length, mime);
}

bool hasPicture(TagLib::File *f) {
    if (auto *m = dynamic_cast<TagLib::MPEG::File *>(f))
        return m->hasID3v2Tag() && !m->ID3v2Tag()->frameListMap()["APIC"].isEmpty();
    if (auto *fl = dynamic_cast<TagLib::FLAC::File *>(f))
        return !fl->pictureList().isEmpty() || (fl->hasXiphComment() && !fl->xiphComment()->pictureList().isEmpty());
    if (auto *v = dynamic_cast<TagLib::Ogg::Vorbis::File *>(f)) return v->tag() && !v->tag()->pictureList().isEmpty();
    if (auto *o = dynamic_cast<TagLib::Ogg::Opus::File *>(f)) return o->tag() && !o->tag()->pictureList().isEmpty();
    if (auto *m4 = dynamic_cast<TagLib::MP4::File *>(f)) return m4->tag() && m4->tag()->contains("covr");
    if (auto *w = dynamic_cast<TagLib::RIFF::WAV::File *>(f))
        return w->hasID3v2Tag() && !w->ID3v2Tag()->frameListMap()["APIC"].isEmpty();
    if (auto *a = dynamic_cast<TagLib::RIFF::AIFF::File *>(f))
        return a->hasID3v2Tag() && !a->tag()->frameListMap()["APIC"].isEmpty();
    return false;
}

} // namespace

extern "C" int ctl_read(const char *path, ctl_info *out) {
    std::memset(out, 0, sizeof(*out));
    TagLib::FileRef ref(path, true, TagLib::AudioProperties::Fast);
    if (ref.isNull() || !ref.file() || !ref.file()->isValid()) return -1;
    TagLib::File *file = ref.file();
    std::string props;
    const TagLib::PropertyMap map = file->properties();
    for (auto it = map.begin(); it != map.end(); ++it) {
        for (const auto &value : it->second) {
            props += it->first.to8Bit(true);
            props += '\x1f';
            props += value.to8Bit(true);
            props += '\x1e';
        }
    }
    out->properties = dup(props);
    out->format = dup(formatOf(file));
    out->has_picture = hasPicture(file) ? 1 : 0;
    TagLib::AudioProperties *audio = ref.audioProperties();
    if (!audio) return -2;
    out->duration_ms = audio->lengthInMilliseconds();
    out->bitrate_kbps = audio->bitrate();
    out->sample_rate = audio->sampleRate();
    out->channels = audio->channels();
    return 0;
}

extern "C" void ctl_free(ctl_info *info) {
    std::free(info->properties);
    std::free(info->format);
    info->properties = nullptr;
    info->format = nullptr;
}

extern "C" int ctl_read_picture(const char *path, unsigned char **data, size_t *length, char **mime) {
    *data = nullptr; *length = 0; *mime = nullptr;
    TagLib::FileRef ref(path, false);
    if (ref.isNull() || !ref.file()) return -1;
    TagLib::File *f = ref.file();
    bool ok = false;
    if (auto *m = dynamic_cast<TagLib::MPEG::File *>(f)) ok = m->hasID3v2Tag() && pickID3(m->ID3v2Tag(), data, length, mime);
    else if (auto *fl = dynamic_cast<TagLib::FLAC::File *>(f)) {
        ok = pickXiph(fl->pictureList(), data, length, mime);
        if (!ok && fl->hasXiphComment()) ok = pickXiph(fl->xiphComment()->pictureList(), data, length, mime);
    }
    else if (auto *v = dynamic_cast<TagLib::Ogg::Vorbis::File *>(f)) ok = v->tag() && pickXiph(v->tag()->pictureList(), data, length, mime);
    else if (auto *o = dynamic_cast<TagLib::Ogg::Opus::File *>(f)) ok = o->tag() && pickXiph(o->tag()->pictureList(), data, length, mime);
    else if (auto *m4 = dynamic_cast<TagLib::MP4::File *>(f)) {
        if (m4->tag() && m4->tag()->contains("covr")) {
            auto list = m4->tag()->item("covr").toCoverArtList();
            if (!list.isEmpty()) {
                const auto &art = list.front();
                const char *type = art.format() == TagLib::MP4::CoverArt::PNG ? "image/png" : "image/jpeg";
                ok = copyPicture(art.data(), TagLib::String(type), data, length, mime);
            }
        }
    }
    else if (auto *w = dynamic_cast<TagLib::RIFF::WAV::File *>(f)) ok = w->hasID3v2Tag() && pickID3(w->ID3v2Tag(), data, length, mime);
    else if (auto *a = dynamic_cast<TagLib::RIFF::AIFF::File *>(f)) ok = a->hasID3v2Tag() && pickID3(a->tag(), data, length, mime);
    return ok ? 0 : -1;
}
