// Parts of a page fetched the first time their <details> opens: an organisation's children in the tree, and the
// 转办 form of a task screen (whom the task may go to; a link to the same form as a page stands in for it until then,
// and without scripts).
async function loadOnce(details, url, place, failed) {
  if (!url || details.dataset.loaded) return;
  details.dataset.loaded = "1";
  const response = await fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
  if (response.ok) place.innerHTML = await response.text();
  else failed(response);
}

function loadChildren(details) {
  const list = details.querySelector(":scope > ul");
  loadOnce(details, details.dataset.children, list, (response) => {
    list.innerHTML = `<li class="error">${response.status}</li>`;
  });
}

function loadPassOn(details) {
  loadOnce(details, details.dataset.passOn, details.querySelector("[data-pass-on-form]"), () => {
    delete details.dataset.loaded; // the link stays; opening again tries again
  });
}

document.addEventListener("toggle", (event) => {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.open) return;
  loadChildren(details);
  loadPassOn(details);
}, true);

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("details[data-children][open]").forEach(loadChildren);
});

// A phone shows a table's rows as cards, without the heading row (app.css): each cell is labelled with its
// column's heading (data-label, which the stylesheet writes before the cell on a narrow screen), in tables that
// come with the page and in those a page reads in later (a subtree, the live inbox).
function labelCells(root) {
  root.querySelectorAll("table.grid").forEach((table) => {
    const heads = [];
    const row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    for (const th of row ? row.cells : []) {
      for (let i = 0; i < (th.colSpan || 1); i++) heads.push(th.textContent.trim());
    }
    if (!heads.length) return;
    for (const body of table.tBodies) {
      for (const tr of body.rows) {
        let column = 0;
        for (const cell of tr.cells) {
          const head = heads[column];
          column += cell.colSpan || 1;
          if (head && !cell.hasAttribute("data-label") && cell.textContent.trim() !== head) cell.dataset.label = head;
        }
      }
    }
  });
}
document.addEventListener("DOMContentLoaded", () => {
  labelCells(document);
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) if (node.nodeType === 1) labelCells(node.parentElement || node);
    }
  }).observe(document.body, { childList: true, subtree: true });
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

// The live inbox: the server says "your inbox changed"; the page re-reads its counts (and the list, on the inbox)
// over HTTP. When the socket closes it reconnects at once, then with a growing pause of at most `every` seconds.
// While it stays down (Redis away, a server restarting) the page says so ("offline, refreshing every N s") and
// re-reads every N s instead; when the socket is back the notice goes and the page re-reads everything.
(function () {
  const live = document.body.dataset.liveInbox;
  if (!live || !("WebSocket" in window)) return;
  const every = 1000 * (Number(document.body.dataset.livePoll) || 10);
  const banner = document.querySelector("[data-live-banner]");
  let pause = 1000, failures = 0, polling = null;

  function toast(text) {
    if (!text) return;
    const box = document.createElement("div");
    box.className = "toast";
    box.setAttribute("role", "status");
    box.textContent = text;
    document.getElementById("toasts").appendChild(box);
    setTimeout(() => box.remove(), 5000);
  }

  // One read at a time: a push that arrives while a read is under way asks for one more read after it, so that an
  // answer begun before the change can never land after (and over) one begun after it.
  let reading = null, again = false;
  function refresh() {
    if (reading) { again = true; return reading; }
    reading = (async () => {
      try {
        do { again = false; await readOnce(); } while (again);
      } finally {
        reading = null;
      }
    })();
    return reading;
  }

  async function readOnce() {
    const response = await fetch(live, { credentials: "same-origin" });
    if (!response.ok) return;
    const state = await response.json();
    const badge = document.querySelector("[data-inbox-count]");
    if (badge) { badge.textContent = state.open_tasks; badge.hidden = !state.open_tasks; }
    const pool = document.querySelector("[data-queue-count]");
    if (pool) { pool.textContent = state.to_claim; pool.hidden = !state.to_claim; }
    if (document.querySelector("[data-inbox-list]")) {
      const page = await fetch(location.href, { credentials: "same-origin" });
      const doc = new DOMParser().parseFromString(await page.text(), "text/html");
      for (const part of ["[data-inbox-head]", "[data-inbox-list]"]) {
        const fresh = doc.querySelector(part);
        if (fresh) document.querySelector(part)?.replaceWith(fresh);
      }
    }
  }

  function offline() {
    if (polling) return;
    if (banner) { banner.textContent = document.body.dataset.liveOffline || ""; banner.hidden = false; }
    polling = setInterval(() => refresh().catch(() => {}), every);
  }

  function online() {
    if (banner) banner.hidden = true;
    if (polling) { clearInterval(polling); polling = null; }
  }

  function connect() {
    const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/inbox/");
    socket.onopen = () => {
      pause = 1000; failures = 0; online(); refresh();
      document.body.dataset.liveConnected = "1";  // pushes reach this page from now on
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "inbox") { refresh(); toast(message.title && (document.body.dataset.newTask || "") + message.title); }
    };
    socket.onclose = () => {
      delete document.body.dataset.liveConnected;
      // one close is a server process restarting (the next one takes over at once); two in a row is an outage
      failures += 1;
      if (failures >= 2) offline();
      setTimeout(connect, failures === 1 ? 200 : pause);
      if (failures > 1) pause = Math.min(pause * 2, every);
    };
  }
  connect();
  setInterval(refresh, 60000);  // work offered to a whole office arrives in 待认领 without a message to each
})();

// An Excel job's progress bar: poll its status and reload the page when the job has finished.
const excelJob = document.getElementById("excel-progress");
if (excelJob) {
  const bar = excelJob.querySelector("progress");
  const label = excelJob.querySelector("[data-label]");
  const poll = async () => {
    const response = await fetch(excelJob.dataset.url, { credentials: "same-origin" });
    if (!response.ok) return;
    const status = await response.json();
    if (!status.running) { location.reload(); return; }
    if (status.total) { bar.max = status.total; bar.value = status.done; } else { bar.removeAttribute("value"); }
    label.textContent = `${status.label} ${status.done}${status.total ? " / " + status.total : ""}`;
    setTimeout(poll, 1500);
  };
  setTimeout(poll, 1000);
}

// Irreversible steps ask first: a button with data-confirm says what will happen; cancelling sends nothing. Once
// confirmed, a second click while the page is on its way is not asked again (the server answers it "already
// handled" anyway).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const text = button && button.dataset.confirm;
  if (!text) return;
  const form = event.target;
  if (form.dataset.confirmed) { event.preventDefault(); return; }
  if (!window.confirm(text)) { event.preventDefault(); return; }
  form.dataset.confirmed = "1";
}, true);
window.addEventListener("pageshow", () => {  // back to a page kept by the browser: its forms may be sent again
  document.querySelectorAll("form[data-confirmed]").forEach((form) => { delete form.dataset.confirmed; });
});
