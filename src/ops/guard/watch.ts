/**
 * A change trigger for the key guard (issue 16 part 2: "that validator stops within one epoch"):
 * inotify-style folder watches (Node's fs.watch, https://nodejs.org/api/fs.html#fswatchfilename-options-listener)
 * on the Smartnode folders a keystore can be recreated in, so the guard looks within
 * milliseconds of a change instead of at the next slot. fs.watch is a trigger only, never the
 * ground truth: it is not reliable on every file system (network mounts, some container
 * overlays; "Caveats" in the Node docs), and a folder that does not exist yet cannot be watched.
 * So the guard still polls every slot (./schedule.ts), and every poll re-syncs the watches
 * ({@link FolderWatch.sync}): a folder created since (or deleted and recreated: a new inode) is
 * watched from then on. Only folders are watched, non-recursively (a few inotify watches, however
 * many validators).
 */
import { type FSWatcher, statSync, watch } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Watches on some folders of a root.
 *
 * @example
 * const w = watchFolders(dataDir, ["validators/teku/keys", "custom-keys"], () => guardLook());
 * w.sync(); // after each poll
 * w.stop();
 */
export type FolderWatch = {
  /** Watch the listed folders that exist now (and re-watch a replaced one). Never throws. */
  sync(): void;
  /** Close every watch. */
  stop(): void;
  /** Folders watched now (absolute paths), for tests and logs. */
  watched(): string[];
};

/** `rels` and all their ancestors below `root` (and `root` itself), as absolute paths. */
function withAncestors(root: string, rels: readonly string[]): string[] {
  const out = new Set<string>([root]);
  for (const rel of rels) {
    for (let d = rel; d !== "." && d !== "" && d !== "/"; d = dirname(d)) out.add(join(root, d));
  }
  return [...out];
}

/** The folder's inode, undefined when it is absent or not a folder. */
function folderIno(dir: string): number | undefined {
  try {
    const st = statSync(dir);
    return st.isDirectory() ? st.ino : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Watch `rels` (folders relative to `root`) and their ancestors; call `onChange` on any entry
 * created, removed, renamed or changed in one of them. A missing folder is watched once it
 * exists (on the next {@link FolderWatch.sync}, or at once when its watched parent reports it).
 *
 * @example
 * const w = watchFolders("/home/me/.rocketpool/data", ["custom-keys"], () => console.log("changed"));
 */
export function watchFolders(
  root: string,
  rels: readonly string[],
  onChange: () => void,
): FolderWatch {
  const dirs = withAncestors(root, rels);
  const open = new Map<string, { w: FSWatcher; ino: number }>();
  let stopped = false;
  const close = (dir: string): void => {
    open.get(dir)?.w.close();
    open.delete(dir);
  };
  const sync = (): void => {
    if (stopped) return;
    for (const dir of dirs) {
      const ino = folderIno(dir);
      const cur = open.get(dir);
      if (cur && cur.ino === ino) continue;
      if (cur) close(dir);
      if (ino === undefined) continue;
      try {
        const w = watch(dir, { persistent: false }, () => {
          sync();
          onChange();
        });
        w.on("error", () => close(dir));
        open.set(dir, { w, ino });
      } catch {
        // Unwatchable here (permissions, inotify limit): the per-slot poll still covers it.
      }
    }
  };
  sync();
  return {
    sync,
    stop() {
      stopped = true;
      for (const dir of [...open.keys()]) close(dir);
    },
    watched: () => [...open.keys()].sort(),
  };
}
