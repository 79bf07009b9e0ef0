// The progress page of a prepared download: without JavaScript, a "Check progress" link
// reloads the page; with it, the page asks the JSON endpoint every few seconds, updates the
// progress bar and the polite live region, and shows the download button when ready.
const root = document.querySelector('[data-module="app-download-progress"]')
if (root) {
  const bar = root.querySelector('progress')
  const text = document.getElementById('download-progress-text')
  const ready = document.getElementById('download-ready')
  const check = document.getElementById('download-check')
  const url = root.dataset.progressUrl
  let said = text.textContent

  const tick = async () => {
    let state
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      if (!response.ok) return schedule()
      state = await response.json()
    } catch (error) {
      return schedule()
    }
    if (state.total) {
      bar.max = state.total
      bar.value = state.done
    }
    let words = state.text
    if (state.status === 'ready') words = 'Ready to download'
    if (state.status === 'failed') words = 'It could not be made: reload the page to try again'
    if (words && words !== said) {
      text.textContent = words
      bar.textContent = words
      said = words
    }
    const tag = document.querySelector('#download-status .govuk-tag')
    const tags = { running: ['Being made', 'govuk-tag--blue'], ready: ['Ready', 'govuk-tag--green'], failed: ['Failed', 'govuk-tag--red'] }
    if (tag && tags[state.status]) {
      tag.textContent = tags[state.status][0]
      tag.className = 'govuk-tag ' + tags[state.status][1]
    }
    if (state.status === 'ready' && state.file_url) {
      ready.hidden = false
      check.hidden = true
      return
    }
    if (state.status === 'failed' || state.status === 'expired') {
      return
    }
    schedule()
  }
  const schedule = () => { window.setTimeout(tick, 3000) }
  schedule()
}
