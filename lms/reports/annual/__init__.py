"""The annual report pack: a financial year's training figures, section by section, as a
page, a PDF and a spreadsheet, ready for the partnership's yearly report."""
