export default {
  performance: {
    period: {
      year: 'Year', quarter: 'Quarter', month: 'Month', quarter_n: 'Q{quarter}', quarter_of: 'Q{quarter} {year}',
      year_of: '{year}',
    },
    holders: { site: 'Site', team: 'Team', user: 'Salesperson' },
    targets: {
      title: 'Sales targets', create: 'Set a target', edit_title: 'Change the target', all_measures: 'All measures',
      own_only: 'Shown: the targets you hold and those of your teams.', empty: 'No target for this period',
      holder: 'Held by', measure: 'Measure', period: 'Period', attainment: 'Attainment',
      actual_of: '{actual} of {value}', hidden: 'Amounts are not shown to you', run_rate: 'Needed per day',
      per_day: '{value} / day', reached: 'Reached', projection: 'Projected at period end', split: 'Split',
      days: 'Day {elapsed} of {total}', confirm_delete: 'Delete this target?',
      confirm_delete_parts: 'Delete this target and the {n} parts it is split into?',
      pick_user: 'Choose a salesperson', pick_team: 'Choose a team', no_teams: 'This site has no teams yet',
      value: 'Target', value_amount: 'Target (CNY)',
    },
    split: {
      title: 'Split the target', whole: 'target {value}', no_parts: 'Not split yet',
      unassigned: 'Unassigned: {value}', to: 'Assign a part to', take_rest: 'Assign the rest',
      after: 'Unassigned after this: {value}', add: 'Add the part',
    },
    pipeline: {
      title: 'Sales forecast for the period', as_of: 'as of {day}', actual: 'Ordered so far',
      pipeline: 'Open opportunities, weighted', reorders: 'Expected reorders', forecast: 'Forecast', target: 'Target',
      gap: 'Still missing', stage: 'Stage', count: 'Open', amount: 'Expected amount', probability: 'Chance',
      weighted: 'Weighted',
    },
    scorecards: {
      title: 'Scorecards', export: 'Export XLSX', scorecard: 'Scorecard', leaderboard: 'Leaderboard', rank: 'Rank',
      span: 'From {since} to {until}',
      incomplete: 'The feedback service did not answer: its measures are left out for now.',
    },
  },
}
