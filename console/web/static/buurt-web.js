// buurt web: the page's own script (the Content-Security-Policy allows no inline script).
// The buttons open a new console: the same page again, without textual-serve's ?delay
// (which waits for a click) or ?ping (which would fetch an address first).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.restart")) {
    button.addEventListener("click", () => {
      const url = new URL(window.location.href);
      url.searchParams.delete("delay");
      url.searchParams.delete("ping");
      window.location.assign(url.pathname + url.search);
    });
  }
});
