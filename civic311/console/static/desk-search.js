// Agent desk: the knowledge-base answers update as the agent types the caller's question, and the
// kinds of request offered follow the channel picked. Without this script the same form works by
// submitting it (the page renders the answers and the categories itself).
(function () {
  var form = document.getElementById("desk-lookup");
  var input = document.getElementById("q");
  var results = document.getElementById("kb-answers");
  var status = document.getElementById("kb-status");
  if (!form || !input || !results || !status || !window.fetch) { return; }
  var timer = null, asked = 0, shown = 0;

  function field(name) {
    var el = form.elements[name];
    if (el && el.length !== undefined && el.tagName === undefined) {  // a radio group
      for (var i = 0; i < el.length; i++) { if (el[i].checked) { return el[i].value; } }
      return "";
    }
    return el ? el.value.trim() : "";
  }

  function params() {
    var p = new URLSearchParams();
    ["q", "answers_in", "channel", "phone", "email"].forEach(function (name) {
      var value = field(name);
      if (value) { p.set(name, value); }
    });
    return p;
  }

  function refresh() {
    var p = params(), ticket = ++asked;
    fetch(form.dataset.liveUrl + "?" + p.toString(), {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        if (ticket < shown) { return; }  // an older answer arriving late never replaces a newer one
        shown = ticket;
        results.innerHTML = html;
        var box = results.querySelector(".kb-answers");
        status.textContent = box ? box.dataset.summary : "";
        // Reloading the page (or going back to it) shows the same answers.
        var url = new URL(window.location.href);
        url.search = p.toString();
        window.history.replaceState(null, "", url.toString());
      })
      .catch(function () { /* the Search button still works */ });
  }

  function later() { clearTimeout(timer); timer = setTimeout(refresh, 200); }

  input.addEventListener("input", later);
  document.getElementById("lang").addEventListener("change", refresh);
  // The "This answered it" buttons record the caller typed in so far.
  ["phone", "email"].forEach(function (id) { document.getElementById(id).addEventListener("change", later); });

  // Keyboard: down arrow from the question into the answers, up and down between them, Escape back.
  function links() { return Array.prototype.slice.call(results.querySelectorAll("a.kb-result-link")); }
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown" && links().length) { e.preventDefault(); links()[0].focus(); }
  });
  results.addEventListener("keydown", function (e) {
    var all = links(), at = all.indexOf(document.activeElement);
    if (at < 0) { return; }
    if (e.key === "ArrowDown" && at < all.length - 1) { e.preventDefault(); all[at + 1].focus(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); (at > 0 ? all[at - 1] : input).focus(); }
    else if (e.key === "Escape") { e.preventDefault(); input.focus(); }
  });

  // The channel: every form on the page records it, and the kinds of request follow it.
  var fileForm = document.getElementById("file-form"), none = document.getElementById("no-categories");
  var select = document.getElementById("service_code");
  function useChannel(channel) {
    document.querySelectorAll("input[type=hidden][name=channel]").forEach(function (el) { el.value = channel; });
    var contactChannel = document.querySelector("select[name=channel]");
    if (contactChannel) { contactChannel.value = channel; }
    if (select) {
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var offered = option.dataset.channels.split(" ").indexOf(channel) >= 0;
        option.hidden = option.disabled = !offered;
        if (offered && !first) { first = option; }
      });
      if (select.selectedOptions.length === 0 || select.selectedOptions[0].disabled) {
        select.value = first ? first.value : "";
      }
      fileForm.hidden = !first;
      none.hidden = !!first;
    }
    refresh();
  }
  var badge = document.getElementById("desk-channel");
  Array.prototype.forEach.call(form.querySelectorAll("input[name=channel]"), function (radio) {
    radio.addEventListener("change", function () {
      if (!radio.checked) { return; }
      if (badge && radio.labels.length) { badge.textContent = radio.labels[0].textContent.trim(); }
      useChannel(radio.value);
    });
  });
})();
