import assert from "node:assert/strict";
import {
  canonicalJson,
  canonicalJsonBytes,
  parseCanonicalJson,
} from "../lib/evidence/canonical_json.ts";
import { isKraftoverError } from "../lib/errors.ts";

const invalid = (e: unknown) => isKraftoverError(e, "EVIDENCE_INVALID");

Deno.test("canonicalJson matches RFC 8785 §3.2.2 (primitive data types)", () => {
  // The RFC's input, parsed from its JSON text (the literal 333333333.33333329 etc.).
  const input = JSON.parse(`{
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
    "literals": [null, true, false]
  }`);
  assert.equal(
    canonicalJson(input),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  );
});

Deno.test("canonicalJson sorts members by UTF-16 code units (RFC 8785 §3.2.3)", () => {
  const input = JSON.parse(`{
    "\\u20ac": "Euro Sign",
    "\\r": "Carriage Return",
    "\\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\\ud83d\\ude00": "Emoji: Grinning Face",
    "\\u0080": "Control",
    "\\u00f6": "Latin Small Letter O With Diaeresis"
  }`);
  // Compare values in text order (Object.keys would move the integer-like "1" first).
  const values = [...canonicalJson(input).matchAll(/:"([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(values, [
    "Carriage Return",
    "One",
    "Control",
    "Latin Small Letter O With Diaeresis",
    "Euro Sign",
    "Emoji: Grinning Face",
    "Hebrew Letter Dalet With Dagesh",
  ]);
});

Deno.test("canonicalJson formats numbers as RFC 8785 Appendix B says", () => {
  const vectors: [string, string][] = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"], // minus zero
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];
  for (const [bits, expected] of vectors) {
    const value = new DataView(Uint8Array.fromHex(bits).buffer).getFloat64(0);
    assert.equal(canonicalJson(value), expected, `IEEE 754 ${bits}`);
    assert.equal(canonicalJson([value]), `[${expected}]`);
  }
  for (const bits of ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"]) {
    const value = new DataView(Uint8Array.fromHex(bits).buffer).getFloat64(0);
    assert.throws(() => canonicalJson({ n: value }), invalid, `${bits} (NaN/Infinity) is refused`);
  }
});

Deno.test("canonicalJsonBytes is UTF-8 without escaping non-ASCII", () => {
  assert.deepEqual(
    canonicalJsonBytes({ "é": "😀", a: "\u2028" }),
    new TextEncoder().encode('{"a":"\u2028","é":"😀"}'),
  );
});

Deno.test("canonicalJson refuses what JCS cannot represent, naming the path", () => {
  const cases: [unknown, RegExp][] = [
    [{ offsets: [{ next: 10n }] }, /\$\.offsets\[0\]\.next: bigint 10/],
    [{ a: [1, undefined] }, /\$\.a\[1\]: undefined inside an array/],
    [{ a: [() => 1] }, /\$\.a\[0\]: function inside an array/],
    [{ a: NaN }, /\$\.a: NaN/],
    [{ "odd key": -Infinity }, /\$\["odd key"\]: -Infinity/],
    [{ m: new Map([["a", 1]]) }, /\$\.m: Map/],
    [{ s: new Set([1]) }, /\$\.s: Set/],
    [{ bytes: new Uint8Array([1]) }, /\$\.bytes: Uint8Array/],
    [{ s: "\ud800" }, /\$\.s: string has a lone surrogate/],
    [undefined, /no JSON representation/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => canonicalJson(value),
      (e: unknown) => invalid(e) && message.test((e as Error).message),
    );
  }
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.throws(
    () => canonicalJson(cycle),
    (e: unknown) => invalid(e) && /circular/.test((e as Error).message),
  );
});

Deno.test("canonicalJson keeps JSON's rules for undefined members, toJSON and shared references", () => {
  const shared = { x: 1 };
  assert.equal(
    canonicalJson({ b: undefined, a: new Date("2025-01-02T03:04:05.678Z"), s: [shared, shared] }),
    '{"a":"2025-01-02T03:04:05.678Z","s":[{"x":1},{"x":1}]}',
  );
  assert.equal(canonicalJson(JSON.parse('{"__proto__":{"a":1}}')), '{"__proto__":{"a":1}}');
});

Deno.test("parseCanonicalJson accepts canonical bytes only", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.deepEqual(parseCanonicalJson(enc('{"a":[1,"x"],"b":null}')), { a: [1, "x"], b: null });
  for (
    const text of [
      '{"a": 1}', // whitespace
      '{"b":1,"a":2}', // order
      '{"a":1,"a":1}', // duplicate key
      '{"a":1.0}', // number form
      '{"a":"\\u0041"}', // needless escape
      '{"a":1}\n', // trailing newline
      "[9007199254740993]", // beyond double precision: re-canonicalises differently
    ]
  ) {
    assert.throws(() => parseCanonicalJson(enc(text)), invalid, text);
  }
  assert.throws(() => parseCanonicalJson(Uint8Array.of(0x7b, 0xff, 0x7d)), invalid, "bad UTF-8");
  assert.throws(() => parseCanonicalJson(enc("{")), invalid, "not JSON");
});
