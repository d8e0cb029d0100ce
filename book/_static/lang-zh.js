// Mark Chinese text on every page with lang="zh" so that screen readers, hyphenation and font
// selection treat it as Chinese: each run of CJK characters (with the punctuation inside it) is
// wrapped in <span lang="zh">. Code, math and elements that already state a language are left alone.
(function () {
  "use strict";
  var CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff][\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef·]*/g;
  var SKIP = /^(SCRIPT|STYLE|CODE|PRE|KBD|SAMP|TEXTAREA|MJX-CONTAINER|SVG|MATH)$/;

  function skipped(node) {
    for (var el = node.parentElement; el; el = el.parentElement) {
      if (SKIP.test(el.tagName.toUpperCase())) return true;
      if (el.hasAttribute("lang") && el.tagName !== "HTML") return true;
    }
    return false;
  }

  function wrap(textNode) {
    var text = textNode.nodeValue, last = 0, match, fragment = document.createDocumentFragment();
    CJK.lastIndex = 0;
    while ((match = CJK.exec(text)) !== null) {
      if (match.index > last) fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
      var span = document.createElement("span");
      span.setAttribute("lang", "zh");
      span.textContent = match[0];
      fragment.appendChild(span);
      last = match.index + match[0].length;
    }
    if (last < text.length) fragment.appendChild(document.createTextNode(text.slice(last)));
    textNode.parentNode.replaceChild(fragment, textNode);
  }

  function markChinese(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        CJK.lastIndex = 0;
        return CJK.test(node.nodeValue) && !skipped(node) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
      },
    });
    var found = [];
    while (walker.nextNode()) found.push(walker.currentNode);
    found.forEach(wrap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { markChinese(document.body); });
  } else {
    markChinese(document.body);
  }
})();
