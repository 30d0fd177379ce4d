/**
 * The documentation on the public types, checked: typedoc with validation (every exported declaration documented,
 * links resolve, nothing referenced that isn't exported) over the three package entry points (typedoc.json) and the
 * browser client (typedoc.client.json), with every warning an error; and every optional field of an options
 * interface (`*Options`, `*Settings`) carries a `@defaultValue` tag, so an IDE shows what leaving it out means.
 *
 *   npx tsx scripts/check-docs.ts          (npm run docs:check; exit code 1 on any finding)
 */
import { pathToFileURL } from 'node:url';
import { Application, DeclarationReflection, ReflectionKind, type ProjectReflection } from 'typedoc';

export const CONFIGS = ['typedoc.json', 'typedoc.client.json'];

/** `Interface.field` for each optional field of an options interface without `@defaultValue`. */
export function missingDefaults(project: ProjectReflection): string[] {
  const missing: string[] = [];
  for (const reflection of project.getReflectionsByKind(ReflectionKind.Interface)) {
    if (!(reflection instanceof DeclarationReflection) || !/(Options|Settings)$/.test(reflection.name)) continue;
    for (const child of reflection.children ?? []) {
      if (!child.kindOf(ReflectionKind.Property) || !child.flags.isOptional) continue;
      if (child.comment?.getTag('@defaultValue') === undefined) missing.push(`${reflection.name}.${child.name}`);
    }
  }
  return [...new Set(missing)].sort();
}

/** Runs one typedoc config without writing anything; returns the problems found (empty: clean). */
export async function checkConfig(config: string): Promise<{ problems: string[]; interfaces: number }> {
  const app = await Application.bootstrapWithPlugins({ options: config });
  const project = await app.convert();
  if (project === undefined) return { problems: [`${config}: typedoc could not convert the project`], interfaces: 0 };
  app.validate(project);
  const problems: string[] = [];
  if (app.logger.hasErrors() || app.logger.hasWarnings()) problems.push(`${config}: typedoc reported problems (above)`);
  for (const name of missingDefaults(project)) problems.push(`${config}: ${name} has no @defaultValue`);
  const interfaces = project
    .getReflectionsByKind(ReflectionKind.Interface)
    .filter((r) => /(Options|Settings)$/.test(r.name)).length;
  return { problems, interfaces };
}

async function main(): Promise<void> {
  let failed = false;
  for (const config of CONFIGS) {
    const { problems, interfaces } = await checkConfig(config);
    for (const problem of problems) console.error(problem);
    if (problems.length > 0) failed = true;
    else
      console.log(
        `${config}: 0 errors, 0 warnings; @defaultValue on every optional field of ${interfaces} options interfaces`,
      );
  }
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
