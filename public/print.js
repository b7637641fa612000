// Pages that are sent without the app's wasm when opened directly (the public notice, a unit's
// handbook, a commitment's verification page) are complete HTML; this is all the script they
// need: their print buttons, and the mark that the page is ready (as the app sets it).
document.querySelectorAll('button[data-print]').forEach((button) => {
  button.addEventListener('click', () => window.print());
});
document.body.setAttribute('data-hydrated', 'true');
