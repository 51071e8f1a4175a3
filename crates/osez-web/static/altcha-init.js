// The ALTCHA widget, set up for this site's CSP: its proof-of-work worker
// is loaded by URL from this site (never blob:), and once the widget runs
// the question meant for browsers without JavaScript is hidden. State
// changes are announced in a live region for screen readers.
const worker = () => new Worker('/static/altcha-pbkdf2.js');
for (const algorithm of ['PBKDF2/SHA-256', 'PBKDF2/SHA-384', 'PBKDF2/SHA-512']) {
  globalThis.$altcha.algorithms.set(algorithm, worker);
}

const widget = document.querySelector('altcha-widget');
const question = document.getElementById('question-verification');
if (widget && question) {
  question.hidden = true;
  question.querySelectorAll('input').forEach((input) => { input.disabled = true; });
  const live = document.createElement('p');
  live.className = 'sr-only';
  live.setAttribute('role', 'status');
  widget.after(live);
  const said = {
    verifying: 'Vérification anti-robot en cours, veuillez patienter.',
    verified: 'Vérification anti-robot réussie : vous pouvez envoyer le message.',
    error: 'La vérification anti-robot a échoué : cochez la case de nouveau.',
    expired: 'La vérification anti-robot a expiré : cochez la case de nouveau.',
  };
  widget.addEventListener('statechange', (event) => {
    const text = said[event.detail && event.detail.state];
    if (text) live.textContent = text;
  });
}
