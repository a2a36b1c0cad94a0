// The models the server offers (GET /api/models) and its default.
import { api, type ApiClient } from '../api/client';
import type { Model } from '../api/types';

export class ModelsStore {
  models = $state<Model[]>([]);
  defaultModel = $state<string | null>(null);
  loaded = $state(false);
  available = $state(false);

  constructor(private readonly client: ApiClient) {}

  async load(): Promise<void> {
    try {
      const list = await this.client.models();
      this.models = list.models;
      this.defaultModel = list.default_model ?? list.models[0]?.id ?? null;
      this.available = true;
    } catch {
      this.models = [];
      this.available = false;
    } finally {
      this.loaded = true;
    }
  }

  label(id: string | null | undefined): string {
    if (!id) return '';
    const model = this.models.find((m) => m.id === id);
    return model?.label || id;
  }
}

export const models = new ModelsStore(api);
