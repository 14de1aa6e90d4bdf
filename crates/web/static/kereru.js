// Kererū's only script: small conveniences. Every page works without it.
"use strict";
document.addEventListener("submit", function (event) {
  // <form data-confirm="Delete this post?">: ask before destructive actions.
  var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
document.addEventListener("input", function (event) {
  // <textarea data-counter="ID" data-limit="N">: show the characters left (links count as 23, as the server counts).
  var target = event.target;
  var id = target.getAttribute && target.getAttribute("data-counter");
  if (!id) return;
  var counter = document.getElementById(id);
  var max = parseInt(target.getAttribute("data-limit") || "0", 10);
  if (counter && max > 0) {
    var length = 0;
    target.value.split(/(\s+)/).forEach(function (word) {
      length += /^https?:\/\//.test(word) ? 23 : Array.from(word).length;
    });
    counter.textContent = String(max - length);
  }
});
