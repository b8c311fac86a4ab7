// kubernetes-models and its @kubernetes-models/* dependencies are published as ES modules whose export maps offer
// only the `import` condition. Jest resolves `require()` with the `require` condition, so for those packages alone
// resolve as an import would; Jest's transform then turns the ES modules into CommonJS.
module.exports = (request, options) => {
  if (/^(@kubernetes-models\/|kubernetes-models(\/|$))/.test(request)) {
    return options.defaultResolver(request, {
      ...options,
      conditions: ['import', 'node', 'default'],
    });
  }
  return options.defaultResolver(request, options);
};
