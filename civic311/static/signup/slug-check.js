// Signup: fill the address from the city name and say, as the clerk types, whether it is free.
(function () {
  var input = document.getElementById('slug'), status = document.getElementById('slug-status');
  var preview = document.getElementById('slug-preview'), name = document.getElementById('city_name');
  var timer = null, touched = input.value !== '';
  function check() {
    var value = input.value.trim().toLowerCase();
    preview.textContent = value || 'your-city';
    if (!value) { status.textContent = ''; input.removeAttribute('aria-invalid'); return; }
    fetch(status.dataset.url + '?slug=' + encodeURIComponent(value), {credentials: 'same-origin'})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (input.value.trim().toLowerCase() !== data.slug) { return; }
        status.textContent = data.message;
        status.className = data.ok ? 'hint ok' : 'error';
        // Screen readers announce the status (aria-live) and say the field is invalid while it is.
        if (data.ok) { input.removeAttribute('aria-invalid'); } else { input.setAttribute('aria-invalid', 'true'); }
      })
      .catch(function () { status.textContent = ''; });
  }
  input.addEventListener('input', function () { touched = true; clearTimeout(timer); timer = setTimeout(check, 250); });
  name.addEventListener('input', function () {
    if (touched) { return; }
    input.value = name.value.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
    clearTimeout(timer); timer = setTimeout(check, 250);
  });
})();
