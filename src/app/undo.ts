/**
 * What the operator node has started, undone in reverse order: on a failed start (so the DB lock
 * is released and the port freed before the error is shown) and by its stop(). An undo that
 * throws is logged and the others still run.
 */
import { errorMessage, type NodeLog } from "./log.js";

/**
 * A stack of started parts.
 *
 * @example
 * const started = createUndoStack(log);
 * started.push("p2p transport", () => transport.stop());
 * await started.undoAll();
 */
export function createUndoStack(log: NodeLog) {
  const parts: { what: string; undo: () => void | Promise<void> }[] = [];
  return {
    /** Remember a started part and how to stop it. */
    push(what: string, undo: () => void | Promise<void>): void {
      parts.push({ what, undo });
    },
    /** Stop every part, newest first (each once). */
    async undoAll(): Promise<void> {
      for (const p of parts.splice(0).reverse()) {
        try {
          await p.undo();
        } catch (err) {
          log("error", { what: `stop ${p.what}`, message: errorMessage(err) });
        }
      }
    },
  };
}

/** What {@link createUndoStack} returns. */
export type UndoStack = ReturnType<typeof createUndoStack>;
