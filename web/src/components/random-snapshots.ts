import { useEffect } from 'react';
import { emit, useSocket } from '../lib/socket.js';

/** How often, and how small: enough for the server's classifier (it looks at 224×224), a few KB per picture. */
const EVERY_MS = 5000;
const WIDTH = 160;
const HEIGHT = 120;

/**
 * In a random video session, a small JPEG of the local camera every few seconds (match:snapshot), for the
 * server's nudity check; nothing while the camera is off. A nude one ends the session: the server says so
 * with match:ended (reason `nudity`), which the page already shows, so the answers need no handling here.
 */
export function useSnapshots(sessionId: string, stream: MediaStream | null): void {
  const { socket } = useSocket();
  useEffect(() => {
    if (!socket || !stream) return;
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    void video.play().catch(() => undefined);
    const canvas = document.createElement('canvas');
    canvas.width = WIDTH;
    canvas.height = HEIGHT;
    const ctx = canvas.getContext('2d');
    const timer = setInterval(() => {
      if (!ctx || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return;
      ctx.drawImage(video, 0, 0, WIDTH, HEIGHT);
      const url = canvas.toDataURL('image/jpeg', 0.7);
      emit(socket, 'match:snapshot', { sessionId, image: url.slice(url.indexOf(',') + 1) }).catch(() => undefined);
    }, EVERY_MS);
    return () => {
      clearInterval(timer);
      video.srcObject = null;
    };
  }, [socket, stream, sessionId]);
}
