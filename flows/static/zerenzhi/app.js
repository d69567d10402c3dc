// Lazy expansion of the organisation tree: a node's children are fetched the first time it opens.
async function loadChildren(details) {
  const url = details.dataset.children;
  if (!url || details.dataset.loaded) return;
  details.dataset.loaded = "1";
  const list = details.querySelector(":scope > ul");
  const response = await fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
  list.innerHTML = response.ok ? await response.text() : `<li class="error">${response.status}</li>`;
}

document.addEventListener("toggle", (event) => {
  const details = event.target;
  if (details instanceof HTMLDetailsElement && details.open) loadChildren(details);
}, true);

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("details[data-children][open]").forEach(loadChildren);
});

// "Select all" in the queue.
document.addEventListener("change", (event) => {
  if (!event.target.matches("[data-select-all]")) return;
  document.querySelectorAll('input[name="task"]').forEach((box) => { box.checked = event.target.checked; });
});

// Live turnout on an evaluation's page.
const turnout = document.getElementById("turnout");
if (turnout) {
  setInterval(async () => {
    const response = await fetch(turnout.dataset.url, { credentials: "same-origin" });
    if (!response.ok) return;
    const t = await response.json();
    turnout.querySelector("[data-voted]").textContent = t.voted;
    turnout.querySelector("[data-issued]").textContent = t.issued;
    turnout.querySelector("[data-percent]").textContent = t.percent;
  }, 5000);
}
