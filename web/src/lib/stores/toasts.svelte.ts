// Short notices at the bottom of the screen ("Copied", errors).
export interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

class Toasts {
  items = $state<Toast[]>([]);
  private next = 0;

  show(text: string, kind: Toast['kind'] = 'info', ms = 2600): void {
    const id = ++this.next;
    this.items.push({ id, text, kind });
    setTimeout(() => this.dismiss(id), ms);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((toast) => toast.id !== id);
  }
}

export const toasts = new Toasts();
