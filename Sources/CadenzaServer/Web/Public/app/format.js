// Pure helpers (no DOM), shared by views and the player.
export function duration(ms) {
  const total = Math.max(0, Math.round((ms || 0) / 1000));
  const m = Math.floor(total / 60), s = total % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

export function spoken(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0)), m = Math.floor(s / 60), r = s % 60;
  return m ? `${m} minute${m === 1 ? '' : 's'} ${r} second${r === 1 ? '' : 's'}` : `${r} second${r === 1 ? '' : 's'}`;
}

export function ago(unixSeconds) {
  const d = Math.max(0, Date.now() / 1000 - unixSeconds);
  if (d < 60) return 'just now';
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return new Date(unixSeconds * 1000).toLocaleDateString();
}

// A listen counts once half the track or four minutes have played, as scrobblers do.
export function playedEnough(positionSeconds, durationSeconds) {
  if (!durationSeconds || durationSeconds < 30) return positionSeconds >= Math.min(durationSeconds || 30, 30) * 0.5;
  return positionSeconds >= Math.min(durationSeconds / 2, 240);
}

/// A copy of `items` in random order (Fisher–Yates).
export function shuffled(items) {
  const order = items.slice();
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(Math.random() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
  return order;
}
