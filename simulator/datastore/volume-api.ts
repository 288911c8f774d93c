// The contract of a datastore's file store, shared by the datastore layer
// (which implements it in memory) and everything that reads or writes VM
// files: the .vmx writer, VMDK handling, /folder, FileManager, the browser.
// Paths are relative to the datastore root, '/'-separated, no leading '/'
// ("VCH001/VCH001.vmx"). Errors are VimFaults as hostd raises them:
// FileNotFound, FileAlreadyExists, NoDiskSpace, CannotCreateFile,
// CannotDeleteFile, InvalidDatastorePath.

export interface FileStat {
  path: string;
  isDirectory: boolean;
  /** logical size in bytes (a thin file's provisioned size) */
  size: number;
  /** bytes that count against the datastore's capacity */
  allocated: number;
  mtime: Date;
}

export interface DatastoreVolumeApi {
  readonly name: string;
  readonly capacity: number;
  usedBytes(): number;

  exists(path: string): boolean;
  stat(path: string): FileStat | undefined;
  /** entry names (not paths) of a directory, sorted */
  readdir(path: string): string[];
  mkdir(path: string, opts?: { parents?: boolean }): void;

  readFile(path: string): Buffer;
  /** bytes [start, end) of a file; a sparse file reads zeros where unwritten */
  readRange(path: string, start: number, end: number): Buffer;
  /** create or replace a regular file; NoDiskSpace leaves the old content in place */
  writeFile(path: string, data: Buffer, opts?: { exclusive?: boolean }): void;
  appendFile(path: string, data: Buffer): void;

  /** a thin file of `size` logical bytes that allocates only what is written */
  /** a file of `size` bytes that holds only what is written to it, or (thick) its whole size from the start */
  createSparse(path: string, size: number, opts?: { exclusive?: boolean; thick?: boolean }): void;
  writeAt(path: string, offset: number, data: Buffer): void;
  /** byte ranges that hold data: all of an ordinary file, the written chunks of a sparse one */
  extents(path: string): { offset: number; length: number }[];
  /** grow (or refuse to shrink with InvalidArgument) a sparse file */
  resize(path: string, size: number): void;

  /** file, or directory with everything below it */
  delete(path: string): void;
  move(src: string, dst: string, opts?: { overwrite?: boolean }): void;
  copy(src: string, dst: string, opts?: { overwrite?: boolean }): void;

  /** deep copy of the whole volume, for simulator snapshots */
  snapshot(): unknown;
  restore(snap: unknown): void;
}
