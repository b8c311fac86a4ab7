import { Environment } from '@marcbachmann/cel-js';
import { RE2JS } from '@bufbuild/re2';

/*
 * The CEL runtime of Forge's policy engine.
 *
 * Library choice (measured, `./forge bench compliance`): @bufbuild/cel passes the whole CEL conformance suite but its
 * interpreter spent some 100 µs per entity on the baseline pack's 34 rules, which kept Forge at 6x json-rules-engine;
 * @marcbachmann/cel-js implements the parts of the spec our rules use (macros, `has`, `in`, timestamps and durations,
 * the string functions, heterogeneous `dyn` comparisons) with a type checker and parse-time limits, and evaluates the
 * same rules several times faster on plain JSON without converting it first. The evaluator's unit and property tests
 * pin the semantics Forge relies on.
 *
 * One deliberate deviation from that library: CEL specifies `matches()` as RE2, and the library uses JavaScript's
 * backtracking RegExp, which a careless pattern (`(a+)+$`) turns into a denial of service on hostile annotation
 * values (the scaffolder gate evaluates documents users submit). Rules are therefore compiled with every
 * `x.matches(p)` rewritten to `forgeMatches(x, p)`, served by RE2 (linear time) with compiled patterns cached.
 */

/** Variables a rule can read; documented in docs/compliance.md. */
const VARIABLES: Record<string, string> = {
  entity: 'dyn',
  kind: 'string',
  annotations: 'map<string, string>',
  labels: 'map<string, string>',
  tags: 'list<string>',
  spec: 'dyn',
  refs: 'dyn',
  related: 'list<dyn>',
  facts: 'map<string, dyn>',
  groups: 'list<string>',
  blueprints: 'map<string, string>',
  params: 'dyn',
  now: 'google.protobuf.Timestamp',
};

const MATCHES = 'forgeMatches';

function re2Matcher() {
  const cache = new Map<string, RE2JS>();
  return (text: string, pattern: string): boolean => {
    let compiled = cache.get(pattern);
    if (!compiled) {
      compiled = RE2JS.compile(pattern);
      if (cache.size < 1000) cache.set(pattern, compiled);
    }
    return compiled.test(text);
  };
}

let environment: Environment | undefined;
function celEnvironment(): Environment {
  if (!environment) {
    const env = new Environment({
      homogeneousAggregateLiterals: false,
      limits: {
        maxAstNodes: 2000,
        maxDepth: 64,
        maxListElements: 200,
        maxMapEntries: 200,
        maxCallArguments: 8,
      },
    });
    for (const [name, type] of Object.entries(VARIABLES))
      env.registerVariable(name, type);
    env.registerFunction(
      `${MATCHES}(string, string): bool`,
      re2Matcher() as (...args: any[]) => any,
    );
    environment = env;
  }
  return environment;
}

interface AstNode {
  op: string;
  args: unknown;
  start: number;
  end: number;
}

const isNode = (value: unknown): value is AstNode =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as AstNode).op === 'string' &&
  typeof (value as AstNode).start === 'number';

function childrenOf(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  const visit = (value: unknown) => {
    if (isNode(value)) out.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
  };
  visit(node.args);
  return out;
}

/** `recv.matches(arg)` calls, outermost first, as [call, receiver, argument]. */
function matchesCalls(node: AstNode): Array<[AstNode, AstNode, AstNode]> {
  if (node.op === 'rcall') {
    const [name, receiver, args] = node.args as [string, AstNode, AstNode[]];
    if (name === 'matches' && Array.isArray(args) && args.length === 1)
      return [[node, receiver, args[0]]];
  }
  return childrenOf(node).flatMap(matchesCalls);
}

/** The rule's source with every `matches()` call routed to RE2. */
function routeMatchesToRe2(source: string, root: AstNode): string {
  const render = (from: number, to: number, nodes: AstNode[]): string => {
    let out = '';
    let at = from;
    const calls = nodes
      .flatMap(matchesCalls)
      .sort((a, b) => a[0].start - b[0].start);
    for (const [call, receiver, argument] of calls) {
      // A parenthesised receiver, `(a + b).matches(p)`, starts at its innermost expression: take its parentheses.
      let start = Math.min(call.start, receiver.start);
      let closing = 0;
      for (let i = receiver.end; i < call.end && source[i] !== '.'; i++)
        if (source[i] === ')') closing++;
      for (let i = start - 1; i >= 0 && closing > 0; i--) {
        if (source[i] === '(') {
          closing--;
          start = i;
        } else if (!/\s/.test(source[i])) break;
      }
      if (start < at || call.end > to) continue;
      out += source.slice(at, start);
      const receiverText = render(receiver.start, receiver.end, [receiver]);
      const argumentText = render(argument.start, argument.end, [argument]);
      out += `${MATCHES}((${receiverText}), (${argumentText}))`;
      at = call.end;
    }
    return out + source.slice(at, to);
  };
  return render(0, source.length, [root]);
}

/** A compiled rule: call it with the variables; it returns the rule's value or throws an evaluation error. */
export type CompiledRule = (variables: Record<string, unknown>) => unknown;

/**
 * Parses, type-checks and compiles a rule. Throws an Error whose first line says what is wrong (unknown variable,
 * no such function, syntax, an invalid regular expression).
 */
export function compileRule(rule: string): CompiledRule {
  const env = celEnvironment();
  const parsed = env.parse(rule);
  const checked = parsed.check();
  if (!checked.valid) throw checked.error;
  for (const [, , argument] of matchesCalls(parsed.ast as AstNode)) {
    const pattern = (argument as AstNode).args;
    if (argument.op === 'value' && typeof pattern === 'string') {
      try {
        RE2JS.compile(pattern);
      } catch (e) {
        throw new Error(
          `invalid regular expression ${JSON.stringify(pattern)}: ${
            (e as Error).message
          } (patterns are RE2 syntax)`,
        );
      }
    }
  }
  const routed = routeMatchesToRe2(rule, parsed.ast as AstNode);
  if (routed === rule) return parsed;
  const compiled = env.parse(routed);
  // The rewritten rule is as valid as the original; checking the tree that runs spares evaluations the check.
  compiled.check();
  return compiled;
}
