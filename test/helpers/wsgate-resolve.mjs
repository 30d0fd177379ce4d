// The resolve hook registered by wsgate-from-source.mjs: the package's public entry points → src/.
const ENTRY_POINTS = {
  wsgate: '../../src/index.ts',
  'wsgate/gateway': '../../src/gateway/index.ts',
  'wsgate/protocol': '../../src/protocol/index.ts',
};

export async function resolve(specifier, context, nextResolve) {
  const target = ENTRY_POINTS[specifier];
  // Through the next hooks (tsx's), which know how to load a .ts file.
  if (target !== undefined) return nextResolve(new URL(target, import.meta.url).href, context);
  return nextResolve(specifier, context);
}
