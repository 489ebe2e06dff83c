// glibc getopt(3) as cl_status sees it: short options, permuting unless POSIXLY_CORRECT, glibc's error lines.

export interface GetoptItem {
  readonly c: string;
  readonly arg?: string;
}

/** glibc getopt(3) over `args` (args[0] is the program name it reports), short options only, permuting. */
export function getopt(args: readonly string[], optstring: string, posixlyCorrect: boolean, err: (line: string) => void): { readonly items: Generator<GetoptItem>; readonly positionals: () => string[] } {
  const prog = args[0] ?? '';
  const positionals: string[] = [];
  function* run(): Generator<GetoptItem> {
    for (let i = 1; i < args.length; i++) {
      const a = args[i] ?? '';
      if (a === '--') {
        positionals.push(...args.slice(i + 1));
        return;
      }
      if (!a.startsWith('-') || a === '-') {
        if (posixlyCorrect) {
          positionals.push(...args.slice(i));
          return;
        }
        positionals.push(a);
        continue;
      }
      for (let j = 1; j < a.length; j++) {
        const c = a[j] ?? '';
        const k = optstring.indexOf(c);
        if (k < 0 || c === ':') {
          err(`${prog}: invalid option -- '${c}'\n`);
          yield { c: '?' };
          continue;
        }
        if (optstring[k + 1] !== ':') {
          yield { c };
          continue;
        }
        if (j + 1 < a.length) {
          yield { c, arg: a.slice(j + 1) };
        } else if (i + 1 < args.length) {
          i++;
          yield { c, arg: args[i] ?? '' };
        } else {
          err(`${prog}: option requires an argument -- '${c}'\n`);
          yield { c: '?' };
        }
        break;
      }
    }
  }
  return { items: run(), positionals: () => positionals };
}
