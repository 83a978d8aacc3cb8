// Enhancements only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");
  document.body && document.body.classList.add("has-js");

  function $(sel, root) { return (root || document).querySelector(sel); }
  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // After a refused form, move focus to the list of problems (each links to its field).
  var summary = $("#error-summary");
  if (summary) { summary.focus(); }

  // Instant category search: hide the kinds of problem that do not match what is typed.
  var q = $("#q");
  var choices = $("#category-choices");
  if (q && choices) {
    var count = $("#category-count");
    var filter = function () {
      var typed = q.value.normalize ? q.value.normalize("NFKD").replace(/[\u0300-\u036f]/g, "") : q.value;
      var words = typed.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      all(".category-choice", choices).forEach(function (el) {
        var text = el.getAttribute("data-search") || "";
        var ok = words.every(function (w) { return text.indexOf(w) !== -1; });
        el.hidden = !ok;
        if (ok) { shown += 1; }
      });
      all(".category-group", choices).forEach(function (group) {
        group.hidden = all(".category-choice:not([hidden])", group).length === 0;
      });
      if (count) {
        count.textContent = words.length ? (count.getAttribute("data-template") || "%(n)s").replace("%(n)s", shown) : "";
      }
    };
    q.addEventListener("input", filter);
    filter();
  }

  // "Use my location": fills the hidden lat/lng fields; the address stays usable on its own.
  var useLocation = $("#use-location");
  if (useLocation && navigator.geolocation) {
    var status = $("#location-status");
    useLocation.addEventListener("click", function () {
      status.textContent = useLocation.getAttribute("data-busy");
      navigator.geolocation.getCurrentPosition(function (pos) {
        $("#lat").value = pos.coords.latitude.toFixed(6);
        $("#lng").value = pos.coords.longitude.toFixed(6);
        status.textContent = useLocation.getAttribute("data-done");
        document.dispatchEvent(new CustomEvent("civic311:location", { detail: { lat: pos.coords.latitude, lng: pos.coords.longitude } }));
      }, function () {
        status.textContent = useLocation.getAttribute("data-failed");
      }, { enableHighAccuracy: true, timeout: 10000 });
    });
  } else if (useLocation) {
    useLocation.parentNode.hidden = true;
  }

  // Requests near me (home page).
  var nearMe = $("#near-me");
  if (nearMe && navigator.geolocation) {
    nearMe.addEventListener("click", function () {
      var out = $("#near-status");
      navigator.geolocation.getCurrentPosition(function (pos) {
        var url = nearMe.getAttribute("data-url") + "?lat=" + pos.coords.latitude + "&lng=" + pos.coords.longitude;
        fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (items) {
          var list = $("#near-list");
          list.textContent = "";
          if (!items.length) { out.textContent = nearMe.getAttribute("data-none"); return; }
          out.textContent = "";
          items.forEach(function (item) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = item.url; a.textContent = item.service_name;
            li.appendChild(a);
            var badge = document.createElement("span");
            badge.className = "badge"; badge.textContent = " " + item.status_words;
            li.appendChild(document.createTextNode(" "));
            li.appendChild(badge);
            var muted = document.createElement("span");
            muted.className = "muted";
            muted.textContent = " " + (item.address || "") + " · " + nearMe.getAttribute("data-away").replace("%(m)s", item.distance_m);
            li.appendChild(muted);
            list.appendChild(li);
          });
        });
      }, function () { out.textContent = nearMe.getAttribute("data-denied"); });
    });
  } else if (nearMe) {
    nearMe.parentNode.hidden = true;
  }

  // Photos: previews, then an upload with a progress bar (the form still posts normally without JS).
  var form = $("#review-form");
  if (form && window.FormData && window.XMLHttpRequest) {
    var input = $("input[type=file]", form);
    var previews = $("#photo-previews");
    if (input && previews) {
      input.addEventListener("change", function () {
        previews.textContent = "";
        Array.prototype.slice.call(input.files || []).slice(0, 6).forEach(function (file, i) {
          if (!/^image\//.test(file.type)) { return; }
          var li = document.createElement("li");
          var img = document.createElement("img");
          img.alt = file.name;
          img.src = URL.createObjectURL(file);
          li.appendChild(img);
          previews.appendChild(li);
        });
      });
    }
    form.addEventListener("submit", function (ev) {
      if (!input || !input.files || !input.files.length) { return; }  // nothing to upload: a plain post
      ev.preventDefault();
      var bar = $("#upload-progress");
      var text = $("#upload-status");
      bar.hidden = false;
      bar.value = 0;
      bar.setAttribute("aria-valuenow", "0");
      text.textContent = (form.getAttribute("data-uploading") || "%(p)s%").replace("%(p)s", 0);
      all("button[type=submit]", form).forEach(function (b) { b.disabled = true; });  // one report, not two
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var p = Math.round(100 * e.loaded / e.total);
        bar.value = p;
        bar.setAttribute("aria-valuenow", String(p));
        text.textContent = (form.getAttribute("data-uploading") || "%(p)s%").replace("%(p)s", p);
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL && xhr.responseURL !== form.action) { window.location = xhr.responseURL; return; }
        document.open(); document.write(xhr.responseText); document.close();
      });
      xhr.addEventListener("error", function () {
        bar.hidden = true;
        text.textContent = form.getAttribute("data-failed") || "";
        all("button[type=submit]", form).forEach(function (b) { b.disabled = false; });
      });
      xhr.send(new FormData(form));
    });
  }
})();
