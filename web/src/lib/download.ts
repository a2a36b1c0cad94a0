// Saving a file the app fetched (with its token) as a download of the browser:
// a link to the file's object URL, clicked once, then let go.
import type { Download } from './api/types';

export function saveDownload({ blob, filename }: Download): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download; the URL is no longer needed after it.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
