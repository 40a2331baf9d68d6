/** Where a customer opens: its 360 page, or the list when that page is not part of this build. */
export function customerPath(router, id) {
  const path = '/customers/' + encodeURIComponent(id)
  const target = router.resolve(path)
  const known = target.matched.some((record) => !record.path.includes(':pathMatch'))
  return known ? path : '/customers'
}

export function openCustomer(router, id, { replace = false } = {}) {
  const path = customerPath(router, id)
  return replace ? router.replace(path) : router.push(path)
}
