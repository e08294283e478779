/**
 * The function length lint (scripts/function-length.ts, issue 14 item 8): functions, methods and
 * arrow functions over the limit are listed by name and length unless their header states a
 * reason; `npm run lint:length` passes on src/ (allow-list for functions other engineers own).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { findLongFunctions, REASON_MARKER } from "../../../scripts/function-length.js";

const body = (lines: number) => Array.from({ length: lines }, (_, i) => `  x += ${i};`).join("\n");

test("a function, a method and an arrow function over the limit are named with their length", () => {
  const text = [
    `export function big(): number {\n  let x = 0;\n${body(80)}\n  return x;\n}`,
    `class Db {\n  #importValidator(): number {\n    let x = 0;\n${body(79)}\n    return x;\n  }\n}`,
    `const arrow = () => {\n  let x = 0;\n${body(79)}\n};`,
    `function small(): number {\n  let x = 0;\n${body(10)}\n  return x;\n}`,
  ].join("\n\n");
  const found = findLongFunctions("a.ts", text, 80);
  assert.deepEqual(
    found.map((f) => [f.name, f.lines, f.reason]),
    [
      ["big", 84, undefined],
      ["Db.#importValidator", 83, undefined],
      ["arrow", 82, undefined],
    ],
  );
  assert.equal(found[0]?.line, 1);
});

test("exactly the limit passes; a header reason is kept and reported", () => {
  const atLimit = `function f() {\n${body(78)}\n}`;
  assert.deepEqual(findLongFunctions("a.ts", atLimit, 80), []);
  const explained = `/**\n * Does it all.\n * ${REASON_MARKER} one generated table, reads best whole\n */\nexport function g() {\n${body(90)}\n}`;
  const [fn] = findLongFunctions("a.ts", explained, 80);
  assert.equal(fn?.reason, "one generated table, reads best whole");
  const lineComment = `// ${REASON_MARKER} a state machine\nconst h = function () {\n${body(90)}\n};`;
  assert.equal(findLongFunctions("a.ts", lineComment, 80)[0]?.reason, "a state machine");
});
