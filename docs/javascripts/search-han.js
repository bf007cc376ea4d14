// Chinese queries for Material's search (see tools/search_index.py).
//
// Material's search worker cuts a run of Han characters in a query at the longest prefix
// that is a word of its index and drops the rest: 梯度累加 was searched as 梯度. The index's
// hidden fields hold every suffix of every Chinese term with U+200C between characters;
// this script writes each typed run of two or more Han characters the same way before the
// query reaches the worker, which then leaves it whole, and lunr's prefix match finds it
// as a substring of a term. Patching the prototype covers the worker Material has already
// created, and the iframe-based Worker that replaces it on file://.
(() => {
  const JOINER = "\u200c"
  const HAN_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}/g
  const QUERY = 2  // SearchMessageType.QUERY in Material's worker protocol
  const send = Worker.prototype.postMessage
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message && message.type === QUERY && typeof message.data === "string")
      message = { ...message, data: message.data.replace(HAN_RUN, run => [...run].join(JOINER)) }
    return send.call(this, message, ...rest)
  }

  // Each result link carries the query (?h=) for Material to highlight on the target page:
  // without the joiners, so that the page's text matches it.
  const results = document.querySelector(".md-search-result__list")
  const encoded = encodeURIComponent(JOINER)
  if (results)
    new MutationObserver(() => {
      for (const link of results.querySelectorAll(`a[href*="${encoded}"]`))
        link.href = link.href.replaceAll(encoded, "")
    }).observe(results, { childList: true, subtree: true })
})()
