package dev.streamtune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * Keys and values of the tokens already seen, per layer, so that generation feeds one new token per step.
 * Shapes: keys and values {@code [B, K, P, D]} (batch, key/value heads, past tokens, head dim).
 *
 * <p>The cache owns its arrays in its own {@link NDManager}; close it when the sequence is done. One cache
 * belongs to one sequence batch and one adapter; it is not thread-safe.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private long length;

    /** An empty cache for {@code numLayers} layers, owning a sub-manager of {@code parent}. */
    public KvCache(NDManager parent, int numLayers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[numLayers];
        this.values = new NDArray[numLayers];
    }

    /** P: number of positions already cached. */
    public long length() {
        return length;
    }

    /**
     * Appends this step's keys/values {@code [B, K, T, D]} of one layer and returns everything cached
     * {@code [B, K, P+T, D]}. The returned arrays stay owned by the cache.
     */
    NDArray[] append(int layer, NDArray newKeys, NDArray newValues) {
        keys[layer] = appendTo(keys[layer], newKeys);
        values[layer] = appendTo(values[layer], newValues);
        return new NDArray[] {keys[layer], values[layer]};
    }

    /** Advances the cached length once every layer has appended {@code tokens} positions. */
    void advance(long tokens) {
        length += tokens;
    }

    private NDArray appendTo(NDArray past, NDArray step) {
        NDArray all = past == null ? step : past.concat(step, 2);
        all.attach(manager);
        NDScope.unregister(all); // keep it alive past the caller's per-step scope
        if (past != null) {
            past.close();
        }
        return all;
    }

    @Override
    public void close() {
        manager.close();
    }
}
