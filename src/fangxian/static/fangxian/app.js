// An irreversible action asks once and says what will happen, to whom: its form carries data-confirm.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset ? event.target.dataset.confirm : "";
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
