import type { MediaKind } from '../../../shared/media.js';
import { api, ApiError } from './api.js';
import { UploadTask, type Transport, type UploadDeps } from './upload.js';

/** The browser's side of lib/upload.ts (kept apart so the upload logic is unit tested in node, which has no XMLHttpRequest). */

/** The browser's transport: XMLHttpRequest, because fetch cannot report upload progress. */
export const xhrTransport: Transport = (req, onProgress, signal) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(req.method, req.url);
    for (const [k, v] of Object.entries(req.headers ?? {})) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => resolve({ status: xhr.status, etag: xhr.getResponseHeader('ETag'), text: xhr.responseText });
    xhr.onerror = () => reject(new ApiError('NETWORK', 'the upload was interrupted', 0));
    xhr.ontimeout = () => reject(new ApiError('NETWORK', 'the upload timed out', 0));
    xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
    if (signal.aborted) return reject(new DOMException('cancelled', 'AbortError'));
    signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(req.body);
  });

/** Starts uploading a picked file with the app's request function and transport. */
export function startUpload(file: File, kind: MediaKind, deps: Omit<UploadDeps, 'request' | 'transport'> & Partial<Pick<UploadDeps, 'request' | 'transport'>>): UploadTask {
  return new UploadTask(file, kind, { request: api, transport: xhrTransport, ...deps });
}
