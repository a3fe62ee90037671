#include "media/file_input.hpp"

namespace sipw {

bool FileInput::start(GstElement *pipeline, GstElement *selector, const std::string &source, bool loop,
                      std::function<void()> onEnd, std::string &error) {
    GstElement *silence = makeLiveSilence(), *silenceCaps = makeRawCapsFilter();
    GstElement *mixer = makeLiveMixer(), *outCaps = makeRawCapsFilter();
    GstElement *bin = chainBin({silence, silenceCaps, mixer, outCaps}, error);
    if (!bin) return false;
    gst_bin_add(GST_BIN(pipeline), bin);
    pipeline_ = pipeline;
    selector_ = selector;
    bin_ = bin;
    mixer_ = mixer;
    source_ = source;
    loop_ = loop;
    onEnd_ = std::move(onEnd);
    if (!addRound(error)) {
        stop(nullptr);
        return false;
    }
    GstPad *selectorPad = gst_element_request_pad_simple(selector, "sink_%u");  // transfer full
    selectorPad_ = GstRef<GstPad>::adopt(selectorPad);
    GstPad *binSrc = gst_element_get_static_pad(bin, "src");
    bool linked = gst_pad_link(binSrc, selectorPad) == GST_PAD_LINK_OK;
    gst_object_unref(binSrc);
    if (!linked) {
        stop(nullptr);
        return error = "could not link the file to the call", false;
    }
    gst_element_sync_state_with_parent(bin);
    g_object_set(selector, "active-pad", selectorPad, nullptr);
    return true;
}

bool FileInput::addRound(std::string &error) { return addMixedFile(source_, bin_, mixer_, onEnd_, round_, error); }

bool FileInput::ended() {
    if (!bin_ || !round_.decoder || !loop_) return false;
    removeMixedFile(bin_, mixer_, round_);
    std::string error;
    return addRound(error);
}

void FileInput::stop(GstPad *configuredInput) {
    if (!bin_) return;
    if (configuredInput) g_object_set(selector_, "active-pad", configuredInput, nullptr);
    gst_element_set_state(bin_, GST_STATE_NULL);
    if (selectorPad_) {
        gst_element_release_request_pad(selector_, selectorPad_.get());
        selectorPad_.reset();
    }
    round_ = MixedFile();  // goes with the bin
    gst_bin_remove(GST_BIN(pipeline_), bin_);
    drop();
}

void FileInput::drop() {
    selectorPad_.reset();
    round_ = MixedFile();
    bin_ = mixer_ = nullptr;
    pipeline_ = selector_ = nullptr;
}

}  // namespace sipw
