// What QuickJS keeps of the bundle's text (issue 18, heap after load): every function object holds
// its own source for Function.prototype.toString, counted in JS_ComputeMemoryUsage's js_func_size,
// and neither quickjs-emscripten build offers to strip it (JS_SetStripInfo). This counts those bytes
// from the bundle itself: the text of every function, method, accessor and class but the outer
// wrapper, as the engine would keep it. A firmware that strips source (JS_STRIP_SOURCE, or qjsc -s
// bytecode) saves this much heap.

import ts from 'typescript';

const KEEPS_SOURCE = new Set([ts.SyntaxKind.FunctionDeclaration, ts.SyntaxKind.FunctionExpression, ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.MethodDeclaration, ts.SyntaxKind.GetAccessor, ts.SyntaxKind.SetAccessor, ts.SyntaxKind.ClassDeclaration, ts.SyntaxKind.ClassExpression]);

export function functionSource(bundle: string): { functions: number; bytes: number } {
  const sf = ts.createSourceFile('agent.js', bundle, ts.ScriptTarget.ES2020, false, ts.ScriptKind.JS);
  let functions = 0, bytes = 0, outer = true;
  const walk = (n: ts.Node): void => {
    if (KEEPS_SOURCE.has(n.kind)) {
      if (outer) outer = false; // the IIFE runs once and is freed with its source
      else { functions++; bytes += Buffer.byteLength(bundle.slice(n.getStart(sf), n.end)); }
    }
    ts.forEachChild(n, walk);
  };
  walk(sf);
  return { functions, bytes };
}
