"""Real audio for end-to-end tests, made with ffmpeg."""
import atexit
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

_made = {}   # what ffmpeg made, by its arguments: most tests ask for the same few files


def _ffmpeg(args, path, cover=None):
    """Runs ffmpeg writing `path`, or copies what the same arguments (and cover bytes) made before
    in this process: a music fixture is 4 ffmpeg runs, in hundreds of tests. `COVER` in `args`
    stands for the cover's path."""
    made_from = [args, os.path.splitext(path)[1], hashlib.sha256(open(cover, "rb").read()).hexdigest() if cover else None]
    key = hashlib.sha256(json.dumps(made_from).encode()).hexdigest()
    if "dir" not in _made:
        _made["dir"] = tempfile.mkdtemp(prefix="cadenza-e2e-media-")
        atexit.register(shutil.rmtree, _made["dir"], True)
    if key not in _made:
        args = [cover if a == "COVER" else a for a in args]
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args, path], check=True)
        _made[key] = os.path.join(_made["dir"], key + os.path.splitext(path)[1])
        shutil.copyfile(path, _made[key])
    else:
        shutil.copyfile(_made[key], path)


CODECS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "192k", "-id3v2_version", "3"],
    "flac": ["-c:a", "flac"],
    "ogg": ["-c:a", "libvorbis"],
}


def make_audio(path, seconds=3.0, frequency=440, cover=None, **tags):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    args = ["-f", "lavfi", "-i", f"sine=frequency={frequency}:duration={seconds}"]
    if cover:
        args += ["-i", "COVER", "-map", "0:a", "-map", "1:v", "-c:v", "copy", "-disposition:v", "attached_pic"]
    args += CODECS[path.rsplit(".", 1)[1]]
    for key, value in tags.items():
        args += ["-metadata", f"{key}={value}"]
    _ffmpeg(args, path, cover)
    return path


def make_jpeg(path, size=300, color="red"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    _ffmpeg(["-f", "lavfi", "-i", f"color=c={color}:s={size}x{size}", "-frames:v", "1"], path)
    return path


def duration(data_or_path):
    """Seconds of audio, as ffprobe reads it (bytes are written to a temp file)."""
    path = data_or_path
    if isinstance(data_or_path, (bytes, bytearray)):
        import tempfile
        f = tempfile.NamedTemporaryFile(delete=False)
        f.write(data_or_path)
        f.close()
        path = f.name
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                         capture_output=True, text=True, check=True).stdout.strip()
    return float(out)
