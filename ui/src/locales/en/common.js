export default {
  common: {
    save: 'Save', cancel: 'Cancel', create: 'Create', edit: 'Edit', delete: 'Delete', search: 'Search',
    reset: 'Reset', confirm: 'Confirm', close: 'Close', back: 'Back', refresh: 'Refresh', more: 'Load more',
    actions: 'Actions', loading: 'Loading…', empty: 'Nothing here yet', yes: 'Yes', no: 'No', all: 'All',
    saved: 'Saved', deleted: 'Deleted', created: 'Created', total: '{n} in total', total_at_least: '{n}+ in total', download: 'Download',
    confirm_delete: 'Delete this record?', required: 'Required', view: 'View', add: 'Add', submit: 'Submit',
    errors: {
      network: 'The server cannot be reached. Check the connection and try again.',
      unavailable: 'A service is unavailable right now. Try again in a moment.',
      too_broad: 'This search matches too much to answer in time: narrow it with a filter or a longer search text.',
      forbidden: 'You do not have permission to do this.',
      not_found: 'This record does not exist or is outside your sites.',
      too_many: 'Too many attempts. Wait a moment and try again.',
      unknown: 'Something went wrong.',
    },
  },
}
