// An irreversible action asks once and says what will happen, to whom: its form carries data-confirm.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset ? event.target.dataset.confirm : "";
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A long unit select (a district has some 500 units) gets a search box: typing a name keeps the units whose
// name, or whose parent's, contains it (新城 finds 新城街道 and every community under it).
function addUnitSearch(select) {
  if (select.dataset.searchReady || select.options.length < 30) {
    return;
  }
  select.dataset.searchReady = "1";
  const box = document.createElement("input");
  box.type = "search";
  box.className = "form-control mb-1";
  box.placeholder = select.dataset.searchPlaceholder || "输入名称筛选单位";
  box.setAttribute("aria-label", box.placeholder);
  box.dataset.testid = "unit-search";
  box.addEventListener("input", () => {
    const wanted = box.value.trim();
    let first = null;
    for (const option of select.options) {
      const text = (option.dataset.search || "") + " " + option.text;
      const keep = !option.value || !wanted || text.includes(wanted);
      option.hidden = !keep;
      if (keep && option.value && first === null) {
        first = option;
      }
    }
    if (wanted && first !== null && (select.selectedIndex < 0 || select.options[select.selectedIndex].hidden)) {
      select.value = first.value;
    }
  });
  select.before(box);
}
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[data-unit-search]").forEach(addUnitSearch);
});

// A long round where nearly everyone is normal: one tap fills 36.5 into the rows not yet typed, after the
// officer confirms that they were all measured; each can still be corrected before saving.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-fill-normal]");
  if (!button || !window.confirm(button.dataset.confirmFill)) {
    return;
  }
  let filled = 0;
  button.form.querySelectorAll("input[data-unchecked]").forEach((input) => {
    if (!input.value.trim()) {
      input.value = button.dataset.fillNormal;
      filled += 1;
    }
  });
  // Filled, not saved: say so, and put the save button under the thumb.
  button.disabled = true;
  button.textContent = button.dataset.filledText.replace("{n}", filled);
  const save = button.form.querySelector("[type=submit]");
  save.classList.add("btn-success");
  save.scrollIntoView({block: "center"});
  save.focus();
});

// The door (电子卡口): Enter in the ID box (a scanner ends with one) submits nothing until a colour is tapped;
// say so, rather than seem frozen.
document.addEventListener("keydown", (event) => {
  const form = event.target.closest && event.target.closest("form[data-door]");
  if (!form || event.key !== "Enter" || event.target.name !== "doc_number") return;
  event.preventDefault();
  const hint = form.querySelector("[data-door-hint]");
  if (hint) hint.classList.remove("d-none");
});
