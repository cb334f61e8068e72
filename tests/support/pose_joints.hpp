#pragma once
// The COCO and CrowdPose joint orders, written out independently of graft's rules files, so that tests
// compute expected channel indices from joint names without graft's own index code.

#include <string>
#include <vector>

namespace test {

inline const std::vector<std::string> coco_joints = {
    "nose",           "left_eye",   "right_eye",   "left_ear",   "right_ear",   "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip",      "left_knee",  "right_knee",  "left_ankle", "right_ankle"};

inline const std::vector<std::string> crowdpose_joints = {
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",  "right_wrist", "left_hip",
    "right_hip",     "left_knee",      "right_knee", "left_ankle",  "right_ankle", "head",        "neck"};

/// COCO index of a joint, or -1.
inline long coco_index(const std::string& joint) {
  for (std::size_t i = 0; i < coco_joints.size(); ++i)
    if (coco_joints[i] == joint) return static_cast<long>(i);
  return -1;
}

}  // namespace test
