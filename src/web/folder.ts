// Turns what a person dropped or picked into files with manifest paths, relative to the folder they chose
// (its own name left out, as `presscloud push DIR` leaves out DIR).
import { counted } from './format.js';

export interface PickedFile {
  /** Relative POSIX path within the chosen folder. */
  readonly path: string;
  readonly file: File;
}

export interface PickedFolder {
  /** What to call it on the page: the folder's name, or "3 items" for a drop of several. */
  readonly name: string;
  readonly files: PickedFile[];
}

/** From `<input type=file webkitdirectory>`: every path starts with the chosen folder's name, which is cut off. */
export function folderFromInput(list: FileList): PickedFolder {
  const files: PickedFile[] = [];
  let name = '';
  for (const file of Array.from(list)) {
    const relative = relativePathOf(file);
    const slash = relative.indexOf('/');
    if (slash === -1) {
      files.push({ path: relative, file });
    } else {
      name ||= relative.slice(0, slash);
      files.push({ path: relative.slice(slash + 1), file });
    }
  }
  return { name: name || counted(files.length, 'file'), files };
}

/**
 * The file's path from the chosen folder, its last segment the file's real name. Chromium's webkitRelativePath
 * turns every backslash into a slash, so `back\slash.txt` would arrive as a file `slash.txt` in a folder `back`;
 * File.name keeps the name as it is on disk, for the shared path rule to refuse as `presscloud push` does. (A
 * backslash in a folder's name is lost beyond repair: only the file's own name comes whole.)
 */
function relativePathOf(file: File): string {
  const relative = file.webkitRelativePath;
  if (!relative) return file.name;
  const mangled = file.name.replaceAll('\\', '/');
  if (!relative.endsWith(mangled)) return relative;
  return relative.slice(0, relative.length - mangled.length) + file.name;
}

/**
 * Entries must be taken from the DataTransfer while the drop event runs (the browser empties it afterwards),
 * so this is synchronous; `folderFromEntries` then reads them.
 */
export function entriesOfDrop(transfer: DataTransfer): FileSystemEntry[] {
  const entries: FileSystemEntry[] = [];
  for (const item of Array.from(transfer.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry();
    if (entry) entries.push(entry);
  }
  return entries;
}

/** One dropped folder publishes its contents; several items (or loose files) publish each under its own name. */
export async function folderFromEntries(entries: readonly FileSystemEntry[]): Promise<PickedFolder> {
  const files: PickedFile[] = [];
  const single = entries.length === 1 && entries[0].isDirectory ? entries[0] : undefined;
  if (single) {
    await walk(single as FileSystemDirectoryEntry, '', files);
    return { name: single.name, files };
  }
  for (const entry of entries) {
    if (entry.isDirectory) await walk(entry as FileSystemDirectoryEntry, entry.name, files);
    else files.push({ path: entry.name, file: await fileOf(entry as FileSystemFileEntry) });
  }
  return { name: counted(entries.length, 'item'), files };
}

async function walk(directory: FileSystemDirectoryEntry, prefix: string, into: PickedFile[]): Promise<void> {
  for (const entry of await readAll(directory)) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory) await walk(entry as FileSystemDirectoryEntry, path, into);
    else if (entry.isFile) into.push({ path, file: await fileOf(entry as FileSystemFileEntry) });
  }
}

/** readEntries answers in batches (100 at a time in Chromium) until it answers an empty one. */
async function readAll(directory: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = directory.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}
