/**
 * Node 20 compatibility for the libp2p v3 stack.
 *
 * libp2p 3.x, @libp2p/utils 7.x, @chainsafe/libp2p-yamux 8.x and it-queue call
 * `Promise.withResolvers` (ES2024, ECMA-262 §27.2.4.8; in V8/Node ≥ 22). rpdvt supports
 * Node ≥ 20.19 (package.json `engines`), where it is missing: without it every inbound Noise
 * upgrade fails with "Promise.withResolvers is not a function". This module installs the standard
 * function when (and only when) the runtime lacks it; on Node ≥ 22 it does nothing. It is the
 * only ES2024 API those packages use (checked by grepping their dist/src for ES2024 built-ins).
 *
 * Import it (for its side effect) before creating any libp2p node.
 */

type Resolvers<T> = {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
};

/**
 * `Promise.withResolvers` as specified: a new promise of `this` constructor plus its resolve and
 * reject functions.
 *
 * @example
 * const { promise, resolve } = withResolvers.call(Promise);
 * resolve(1);
 * await promise; // 1
 */
export function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
  let resolve!: Resolvers<T>["resolve"];
  let reject!: Resolvers<T>["reject"];
  const promise = new this<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    value: withResolvers,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
