// Until the app starts: the loading text in its language (the one chosen before, else the
// browser's). Runs right after the #boot element, from a file (no inline script under Quai's
// Content-Security-Policy).
(function () {
  var pick = null;
  try { pick = localStorage.getItem('quai.lang'); } catch (e) {}
  var tags = [pick].concat(navigator.languages || [navigator.language]);
  for (var i = 0; i < tags.length; i++) {
    var code = String(tags[i] || '').split(/[-_]/)[0].toLowerCase();
    if (code === 'en' || code === 'fr') {
      document.documentElement.lang = code;
      if (code === 'fr') document.getElementById('boot-text').textContent = 'Chargement…';
      return;
    }
  }
})();
