// Aliases of API.md's "Sites and aliases": point a name at one of the tenant's manifests, list, show with
// history, delete; and deleting a manifest, refused while an alias points at it.
import { requireScope, type Principal } from './authentication.js';
import { isSha256 } from './blob-key.js';
import { AppError } from './errors.js';
import type { AliasStore, AliasWithHistory } from './ports/metadata-store.js';
import { isAliasName } from './site-links.js';
import type { AliasRecord } from './types.js';

export interface AliasSet {
  /** True when the alias did not exist before (201). */
  readonly created: boolean;
  readonly alias: AliasRecord;
}

export class AliasService {
  constructor(
    private readonly metadata: AliasStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async setAlias(principal: Principal, name: string, manifestId: unknown): Promise<AliasSet> {
    requireScope(principal, 'publish');
    if (!isAliasName(name)) {
      throw new AppError(
        'invalid_request',
        `The alias name "${name}" must be 1–63 characters of a-z, 0-9 and "-", not start or end with "-", and not be 32 hex digits.`,
      );
    }
    if (typeof manifestId !== 'string' || !isSha256(manifestId)) throw new AppError('manifest_not_found');
    const written = await this.metadata.setAlias(principal.tenantId, name, manifestId.toLowerCase(), this.now().toISOString());
    switch (written.kind) {
      case 'manifest_not_found':
        throw new AppError('manifest_not_found');
      case 'taken':
        throw new AppError('alias_taken', `The alias name "${name}" is held by another tenant.`);
      default:
        return { created: written.kind === 'created', alias: written.alias };
    }
  }

  async listAliases(principal: Principal): Promise<AliasRecord[]> {
    requireScope(principal, 'read');
    return this.metadata.listAliases(principal.tenantId);
  }

  async getAlias(principal: Principal, name: string): Promise<AliasWithHistory> {
    requireScope(principal, 'read');
    const found = isAliasName(name) ? await this.metadata.getAlias(principal.tenantId, name) : null;
    if (!found) throw new AppError('alias_not_found', `No alias named "${name}".`);
    return found;
  }

  async deleteAlias(principal: Principal, name: string): Promise<void> {
    requireScope(principal, 'publish');
    if (!isAliasName(name) || !(await this.metadata.deleteAlias(principal.tenantId, name))) {
      throw new AppError('alias_not_found', `No alias named "${name}".`);
    }
  }

  async deleteManifest(principal: Principal, manifestId: string): Promise<void> {
    requireScope(principal, 'publish');
    if (!isSha256(manifestId)) throw new AppError('manifest_not_found');
    const deleted = await this.metadata.deleteManifest(principal.tenantId, manifestId.toLowerCase());
    if (deleted.kind === 'not_found') throw new AppError('manifest_not_found');
    if (deleted.kind === 'in_use') {
      const names = deleted.aliases.join(', ');
      throw new AppError('manifest_in_use', `The manifest is in use by the alias${deleted.aliases.length > 1 ? 'es' : ''} ${names}.`, {
        extra: { aliases: deleted.aliases },
      });
    }
  }
}
