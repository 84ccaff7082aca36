// The store of a registry opened without a checkout (`--remote URL`): the user's cache of that
// remote (git/remote-cache.ts), in the place the cache policy names, brought to the remote's tip.
// Apart from registry.ts because that layer reaches store/cache/ only through store/.
import { fetchTip, openRemoteCache, type RemoteCache } from '../git/remote-cache.js';
import { remoteCacheRoot } from './cache/policy.js';

/** The cache of `url` (`branch`), its tip fetched now unless it was made just now. */
export async function openRemoteStore(url: string, branch?: string): Promise<RemoteCache> {
  const cache = await openRemoteCache(remoteCacheRoot(), url, branch);
  if (!cache.fresh) {
    try {
      await fetchTip(cache);
      cache.fresh = true;
    } catch (e) {
      // Another command on this machine is fetching into the cache right now: the write fetches
      // again under the write lock, so the tip read meanwhile only has to be a recent one.
      // So is a network that dropped this one connection: the write's fetch tries again.
      const transient = (e as { data?: { transient?: boolean } }).data?.transient === true;
      if (!transient && !/\block\b|\.lock'/i.test((e as Error).message)) throw e;
    }
  }
  return cache;
}
