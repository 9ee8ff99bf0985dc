"""Real audio for end-to-end tests, made with ffmpeg."""
import os
import subprocess

CODECS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "192k", "-id3v2_version", "3"],
    "flac": ["-c:a", "flac"],
    "ogg": ["-c:a", "libvorbis"],
}


def make_audio(path, seconds=3.0, frequency=440, cover=None, **tags):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "lavfi", "-i", f"sine=frequency={frequency}:duration={seconds}"]
    if cover:
        args += ["-i", cover, "-map", "0:a", "-map", "1:v", "-c:v", "copy", "-disposition:v", "attached_pic"]
    args += CODECS[path.rsplit(".", 1)[1]]
    for key, value in tags.items():
        args += ["-metadata", f"{key}={value}"]
    args.append(path)
    subprocess.run(args, check=True)
    return path


def make_jpeg(path, size=300, color="red"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi",
                    "-i", f"color=c={color}:s={size}x{size}", "-frames:v", "1", path], check=True)
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
