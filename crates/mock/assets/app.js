// The mock CRM's contacts page, as a single-page app would load it: a
// bearer token for the signed-in session, the contact list a page at a
// time (an opaque cursor), then each contact's details. Plain JS, no build.
(async function () {
  'use strict';
  const status = document.getElementById('status');
  const rows = document.querySelector('#contacts tbody');

  async function getJson(url, token) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    const response = await fetch(url, { headers: headers, credentials: 'same-origin' });
    if (!response.ok) throw new Error('GET ' + url + ': ' + response.status);
    return response.json();
  }

  function row(contact) {
    const name = contact.name || {};
    const phone = (contact.properties || {}).phone;
    const tr = document.createElement('tr');
    const cells = [
      contact.id,
      [name.first, name.last].filter(Boolean).join(' '),
      contact.email || '',
      contact.company || '',
      phone || '',
    ];
    for (const value of cells) {
      const td = document.createElement('td');
      td.textContent = String(value);
      tr.appendChild(td);
    }
    return tr;
  }

  try {
    status.textContent = 'signing in';
    const session = await getJson('/api/session');
    const token = session.token;
    document.getElementById('user').textContent = session.user.username;

    const ids = [];
    let cursor = null;
    do {
      let url = '/api/contacts?limit=10';
      if (cursor) url += '&cursor=' + encodeURIComponent(cursor);
      const page = await getJson(url, token);
      for (const contact of page.data) ids.push(contact.id);
      cursor = page.next_cursor;
      status.textContent = 'listed ' + ids.length;
    } while (cursor);

    let done = 0;
    for (const id of ids) {
      const contact = await getJson('/api/contacts/' + encodeURIComponent(id), token);
      rows.appendChild(row(contact));
      done += 1;
    }
    status.textContent = 'done ' + done;
  } catch (error) {
    status.textContent = 'error: ' + error.message;
  }
})();
