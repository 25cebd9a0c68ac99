"""What leaders read: the Markdown table, the HTML report and the Excel workbook."""
