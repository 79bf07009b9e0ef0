// Turns each <select data-module="app-autocomplete"> into a searchable list
// (accessible-autocomplete, installed from npm). Without JavaScript the select still works.
document.querySelectorAll('select[data-module="app-autocomplete"]').forEach(function (select) {
  window.accessibleAutocomplete.enhanceSelectElement({
    selectElement: select,
    defaultValue: '',
    showAllValues: true,
    dropdownArrow: function () { return '' },
    tNoResults: function () { return 'No organisations found: check the spelling, or say it is not listed' }
  })
})
